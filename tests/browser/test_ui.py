"""The web UI in a real headless Chromium, against a real ``lanventory serve``.

The tests share one server and one browser and run in file order: log in, read the
band, promote and ignore from the queue, check hostile hostnames stay text, watch an
ingest from another process appear live, then the phone width. Each page the browser
shows is also checked for inline script and for Content-Security-Policy violations.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from selenium.common.exceptions import (
    NoAlertPresentException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import (
    HOSTILE_IMG,
    HOSTILE_IMG_MAC,
    HOSTILE_SCRIPT,
    HOSTILE_SCRIPT_MAC,
    NETWORK,
    NOW,
    OLD_NAS_MAC,
    PRINTER_MAC,
    WINDOW,
    Lanventory,
    Server,
)

T = TypeVar("T")

#: What the band shows of each group and device, read in one go (a live swap cannot split it).
READ_BAND = """
const text = (root, selector) => {
  const found = root.querySelector(selector);
  return found === null ? null : found.textContent.trim();
};
return [...document.querySelectorAll('section.group')].map((section) => ({
  group: section.dataset.group,
  heading: text(section, 'h2'),
  devices: [...section.querySelectorAll('article.device')].map((article) => ({
    network: article.dataset.network,
    mac: article.dataset.mac,
    name: text(article, '.device-name'),
    ip: text(article, '.device-ip'),
    macText: text(article, 'code.device-mac'),
    vendor: text(article, '.device-vendor'),
    presence: article.querySelector('.presence')?.className ?? null,
    randomized: article.querySelector('.badge-randomized')?.getAttribute('title') ?? null,
    absent: text(article, '.badge-absent'),
    inlineEdit: article.querySelector('details.inline-edit form.edit-form') !== null,
  })),
}));
"""
#: Script that could run without a file: <script> without src, on* handler attributes.
INLINE_CODE = """
const found = [];
for (const script of document.querySelectorAll('script:not([src])')) {
  found.push('<script>' + script.textContent.slice(0, 80));
}
for (const element of document.querySelectorAll('*')) {
  for (const attribute of element.attributes) {
    if (attribute.name.startsWith('on')) {
      found.push(element.tagName + '[' + attribute.name + '=' + attribute.value + ']');
    }
  }
}
return found;
"""
#: Remembers when main#main last changed, to wait for live swaps to settle.
WATCH_MAIN = """
window.__mutated = Date.now();
new MutationObserver(() => { window.__mutated = Date.now(); })
  .observe(document.getElementById('main'), {childList: true, subtree: true});
"""
#: Console messages that mean a page broke its own rules or failed.
CONSOLE_PROBLEMS = re.compile(r"Content Security Policy|Refused to|Uncaught", re.IGNORECASE)

LIVE_MAC = "00:16:3e:0a:0b:0c"
LIVE_HOSTNAME = "<svg/onload=alert(3)>"
PROMOTE_MAC = "00:0c:29:90:07:e9"
PROMOTE_SELECT_MAC = "00:11:22:33:44:66"
IGNORE_MAC = "00:1a:2b:3c:4d:5e"
DELETE_MAC = "e4:5f:01:de:ad:01"


# --- helpers -------------------------------------------------------------------------


def wait(driver: WebDriver, seconds: float = 10) -> WebDriverWait[WebDriver]:
    return WebDriverWait(
        driver, seconds, poll_frequency=0.1, ignored_exceptions=[StaleElementReferenceException]
    )


def retrying(action: Callable[[], T], attempts: int = 4) -> T:
    """``action``, again when a live swap replaced the elements it held."""
    for _ in range(attempts - 1):
        try:
            return action()
        except StaleElementReferenceException:
            time.sleep(0.2)
    return action()


def settle(driver: WebDriver, quiet: float = 0.8, limit: float = 6) -> None:
    """Wait until main#main has not been swapped for ``quiet`` seconds (live updates
    caused by the previous action land shortly after the page loads)."""
    driver.execute_script(WATCH_MAIN)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        idle = driver.execute_script("return (Date.now() - window.__mutated) / 1000")
        if idle >= quiet:
            return
        time.sleep(0.1)


def open_page(driver: WebDriver, server: Server, path: str) -> None:
    driver.get(server.url + path)
    assert urlsplit(driver.current_url).path == urlsplit(path).path, driver.current_url
    check_page(driver)


def check_page(driver: WebDriver) -> None:
    """The page holds no inline script and its CSP was never violated."""
    inline = driver.execute_script(INLINE_CODE)
    assert inline == [], f"{driver.current_url}: inline script {inline}"
    assert console_problems(driver) == [], driver.current_url


def console_problems(driver: WebDriver) -> list[str]:
    """Console messages since the last call that say a page broke its CSP or failed."""
    try:
        entries: list[dict[str, Any]] = driver.get_log("browser")
    except Exception:  # a driver without log support: nothing to read
        return []
    return [e["message"] for e in entries if CONSOLE_PROBLEMS.search(e.get("message", ""))]


def no_alert(driver: WebDriver) -> None:
    """No dialog is open and this document never called ``alert()``."""
    with pytest.raises(NoAlertPresentException):
        _ = driver.switch_to.alert
    assert driver.execute_script("return window.__alerts") == []


def submit(driver: WebDriver, button: WebElement) -> None:
    """Click a button or link and wait for the page it leads to."""
    navigate(driver, button.click)


def is_gone(element: WebElement) -> bool:
    """Whether ``element``'s document was replaced.

    Mid-navigation Chromium may answer "Node with given id does not belong
    to the document" instead of a stale-element error: that is gone too.
    """
    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        if "does not belong to the document" in str(error):
            return True
        raise
    return False


def navigate(driver: WebDriver, action: Callable[[], object]) -> None:
    """Do ``action`` and wait for the page it leads to."""
    page = driver.find_element(By.TAG_NAME, "html")
    action()
    wait(driver).until(lambda _d: is_gone(page))
    wait(driver).until(lambda d: d.execute_script("return document.readyState") == "complete")


def queue_count(driver: WebDriver) -> int:
    text = retrying(lambda: driver.find_element(By.CSS_SELECTOR, "span#queue-count").text)
    found = re.search(r"\d+", text)
    assert found is not None, f"span#queue-count reads {text!r}"
    return int(found.group())


def article(driver: WebDriver, mac: str) -> WebElement:
    return driver.find_element(By.CSS_SELECTOR, f'article.device[data-mac="{mac}"]')


def macs_shown(driver: WebDriver) -> list[str]:
    return list(
        driver.execute_script(
            "return [...document.querySelectorAll('article.device')].map(a => a.dataset.mac)"
        )
    )


def band(driver: WebDriver) -> dict[str, dict[str, Any]]:
    """The band's devices by MAC, each with the group it is shown in."""
    shown: dict[str, dict[str, Any]] = {}
    for section in driver.execute_script(READ_BAND):
        for device in section["devices"]:
            shown[device["mac"]] = {**device, "group": section["group"]}
    return shown


def log_in(driver: WebDriver, server: Server) -> None:
    driver.find_element(By.CSS_SELECTOR, "form#login-form input[name=password]").send_keys(
        server.password
    )
    submit(driver, driver.find_element(By.CSS_SELECTOR, "button#login-submit"))


@pytest.fixture
def owner(browser: WebDriver, server: Server) -> WebDriver:
    """The browser at desktop size, logged in (through the form if it is not yet)."""
    browser.set_window_size(*WINDOW)
    browser.get(server.url + "/")
    if urlsplit(browser.current_url).path == "/login":
        log_in(browser, server)
    assert urlsplit(browser.current_url).path == "/"
    return browser


# --- tests -----------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_and_logs_in(browser: WebDriver, server: Server) -> None:
    browser.delete_all_cookies()
    browser.get(server.url + "/discovered")
    where = urlsplit(browser.current_url)
    assert where.path == "/login"
    assert parse_qs(where.query).get("next") == ["/discovered"]
    check_page(browser)
    field = browser.find_element(By.CSS_SELECTOR, "form#login-form input[name=password]")
    field.send_keys("not the password")
    submit(browser, browser.find_element(By.CSS_SELECTOR, "button#login-submit"))
    assert browser.find_element(By.CSS_SELECTOR, ".flash-error").text.strip()
    browser.get(server.url + "/")
    assert urlsplit(browser.current_url).path == "/login"
    log_in(browser, server)
    assert urlsplit(browser.current_url).path == "/"
    assert browser.find_elements(By.CSS_SELECTOR, "main#main section.group")
    for hook in ("a#nav-band", "a#nav-queue span#queue-count", "a#nav-status", "form#logout"):
        assert browser.find_elements(By.CSS_SELECTOR, f"nav {hook}"), hook
    check_page(browser)


def test_moving_between_pages_never_stalls(owner: WebDriver) -> None:
    """Each page holds an EventSource; a page left behind (also in the back/forward
    cache) must let it go, or the browser's six connections per host run out."""
    for step, link in enumerate(["a#nav-queue", "a#nav-status", "a#nav-band"] * 3):
        started = time.monotonic()
        navigate(owner, owner.find_element(By.CSS_SELECTOR, f"nav {link}").click)
        took = time.monotonic() - started
        assert took < 5, (
            f"navigation {step + 1} ({link}) took {took:.0f} s: pages left behind keep "
            "their /api/events/stream connection open (close the EventSource on pagehide)"
        )
    check_page(owner)


def test_band_is_grouped_with_names_badges_and_markers(
    owner: WebDriver, screenshot_dir: Path
) -> None:
    groups = [s["group"] for s in owner.execute_script(READ_BAND)]
    assert groups[:4] == ["Smart Home", "Entertainment", "Personal", "Network"]
    assert "Office" in groups[4:]
    for section in owner.execute_script(READ_BAND):
        assert section["heading"].startswith(section["group"]), section["heading"]
    shown = band(owner)
    macbook = shown["3c:22:fb:12:34:56"]
    assert macbook["group"] == "Personal" and macbook["name"] == "MacBook Air"
    assert macbook["network"] == NETWORK and macbook["macText"] == "3c:22:fb:12:34:56"
    assert macbook["ip"] == "192.168.1.23" and macbook["vendor"] == "Apple, Inc."
    assert "present" in macbook["presence"].split() and macbook["inlineEdit"]
    assert macbook["randomized"] is None and macbook["absent"] is None
    iphone = shown["de:ad:7e:11:22:33"]
    assert iphone["randomized"] and "rotate" in iphone["randomized"].lower()
    assert "randomization" in iphone["randomized"].lower()
    nas = shown[OLD_NAS_MAC]
    assert "absent" in nas["presence"].split()
    assert nas["absent"] is not None and re.fullmatch(r"absent \d+d", nas["absent"])
    assert shown[PRINTER_MAC]["group"] == "Office"
    assert not any(d["mac"] == HOSTILE_IMG_MAC for d in shown.values()), "a new device"
    owner.save_screenshot(str(screenshot_dir / "band.png"))

    search = owner.find_element(By.CSS_SELECTOR, "form#filters input#search[name=q]")
    navigate(owner, lambda: search.send_keys("Pi-hole", Keys.ENTER))
    assert list(band(owner)) == ["b8:27:eb:aa:bb:cc"]
    network = owner.find_element(By.CSS_SELECTOR, "form#filters select#network-filter")
    assert network.get_attribute("name") == "network"
    owner.get(f"{owner.current_url.split('?')[0]}?network={NETWORK}")
    assert len(band(owner)) == len(shown)
    check_page(owner)


def test_queue_promotes_a_device_to_the_band(owner: WebDriver, server: Server) -> None:
    open_page(owner, server, "/discovered")
    before = queue_count(owner)
    queue = macs_shown(owner)
    assert before == len(queue), f"span#queue-count says {before}, the queue shows {queue}"
    assert PROMOTE_MAC in queue and HOSTILE_IMG_MAC in queue

    def promote_with_free_text() -> None:
        form = article(owner, PROMOTE_MAC).find_element(By.CSS_SELECTOR, "form.promote-form")
        options = [
            o.text.strip() for o in form.find_elements(By.CSS_SELECTOR, "select[name=grp] option")
        ]
        for group in ("Smart Home", "Entertainment", "Personal", "Network", "Flagged", "Office"):
            assert group in options, f"select[name=grp] options {options}"
        form.find_element(By.CSS_SELECTOR, "input[name=name]").send_keys("Build VM")
        form.find_element(By.CSS_SELECTOR, "input[name=grp_new]").send_keys("Lab")
        form.find_element(By.CSS_SELECTOR, "textarea[name=note]").send_keys("CI runner")
        assert form.find_element(By.CSS_SELECTOR, "input[name=status]").get_attribute("value") == (
            "known"
        )
        submit(owner, form.find_element(By.CSS_SELECTOR, "button.promote"))

    settle(owner)
    retrying(promote_with_free_text)
    assert PROMOTE_MAC not in macs_shown(owner)
    assert queue_count(owner) == before - 1

    def promote_with_select() -> None:
        form = article(owner, PROMOTE_SELECT_MAC).find_element(By.CSS_SELECTOR, "form.promote-form")
        form.find_element(By.CSS_SELECTOR, "input[name=name]").send_keys("Doorbell")
        select = form.find_element(By.CSS_SELECTOR, "select[name=grp]")
        select.find_element(By.XPATH, ".//option[normalize-space()='Smart Home']").click()
        form.find_element(By.CSS_SELECTOR, "input[name=flagged]").click()
        submit(owner, form.find_element(By.CSS_SELECTOR, "button.promote"))

    open_page(owner, server, "/discovered")
    settle(owner)
    retrying(promote_with_select)
    assert PROMOTE_SELECT_MAC not in macs_shown(owner)
    assert queue_count(owner) == before - 2

    open_page(owner, server, "/")
    shown = band(owner)
    assert shown[PROMOTE_MAC]["group"] == "Lab" and shown[PROMOTE_MAC]["name"] == "Build VM"
    assert shown[PROMOTE_SELECT_MAC]["group"] == "Smart Home"
    assert shown[PROMOTE_SELECT_MAC]["name"] == "Doorbell"


def test_queue_ignores_and_deletes_with_confirmation(owner: WebDriver, server: Server) -> None:
    open_page(owner, server, "/discovered")
    settle(owner)
    before = queue_count(owner)
    retrying(
        lambda: submit(
            owner, article(owner, IGNORE_MAC).find_element(By.CSS_SELECTOR, "button.ignore")
        )
    )
    assert IGNORE_MAC not in macs_shown(owner)
    assert queue_count(owner) == before - 1

    settle(owner)
    retrying(
        lambda: article(owner, DELETE_MAC).find_element(By.CSS_SELECTOR, "button.delete").click()
    )
    dialog = wait(owner, 5).until(expected_conditions.alert_is_present())
    assert dialog is not False
    dialog.dismiss()  # the owner changes their mind: nothing is sent
    assert DELETE_MAC in macs_shown(owner)
    page = owner.find_element(By.TAG_NAME, "html")
    retrying(
        lambda: article(owner, DELETE_MAC).find_element(By.CSS_SELECTOR, "button.delete").click()
    )
    wait(owner, 5).until(expected_conditions.alert_is_present()).accept()
    wait(owner).until(lambda _d: is_gone(page))
    assert DELETE_MAC not in macs_shown(owner)
    assert queue_count(owner) == before - 2

    open_page(owner, server, "/")
    assert IGNORE_MAC not in band(owner) and DELETE_MAC not in band(owner)


def test_hostile_hostnames_render_as_text(owner: WebDriver, server: Server) -> None:
    for path in ("/discovered", f"/devices/{NETWORK}/{HOSTILE_IMG_MAC}"):
        open_page(owner, server, path)
        time.sleep(0.3)  # an injected <img src=x> would fail to load and fire by now
        assert HOSTILE_IMG in owner.find_element(By.TAG_NAME, "body").text, path
        assert owner.find_elements(By.CSS_SELECTOR, 'img[src="x"]') == [], path
        no_alert(owner)
    title = owner.find_element(By.CSS_SELECTOR, "h1.device-title").text
    assert HOSTILE_IMG in title

    open_page(owner, server, "/")
    shown = band(owner)
    assert shown[HOSTILE_SCRIPT_MAC]["name"] == HOSTILE_SCRIPT
    scripts = owner.execute_script(
        "return [...document.scripts].map(s => s.textContent).join('\\n')"
    )
    assert "alert(2)" not in scripts
    no_alert(owner)
    check_page(owner)


def test_device_page_shows_history(owner: WebDriver, server: Server, screenshot_dir: Path) -> None:
    open_page(owner, server, f"/devices/{NETWORK}/{PRINTER_MAC}")
    assert "Printer" in owner.find_element(By.CSS_SELECTOR, "h1.device-title").text
    history = owner.find_element(By.CSS_SELECTOR, "table#ip-history").text
    assert "192.168.1.5" in history and "192.168.1.201" in history
    sightings = owner.find_element(By.CSS_SELECTOR, "table#sightings").text
    for source in ("arp-scan", "kea-csv"):
        assert source in sightings, f"table#sightings: {sightings!r}"
    timeline = owner.find_element(By.CSS_SELECTOR, "svg#timeline")
    assert timeline.size["width"] > 100 and timeline.size["height"] > 0
    assert owner.find_elements(By.CSS_SELECTOR, "ol#events li")
    assert owner.find_elements(By.CSS_SELECTOR, "form.edit-form")
    owner.save_screenshot(str(screenshot_dir / "device.png"))

    submit(owner, owner.find_element(By.CSS_SELECTOR, "a#timeline-30"))
    assert parse_qs(urlsplit(owner.current_url).query).get("days") == ["30"]
    assert owner.find_elements(By.CSS_SELECTOR, "svg#timeline")
    check_page(owner)


def test_an_ingest_elsewhere_appears_in_the_open_queue(
    owner: WebDriver, server: Server, lanventory: Lanventory, tmp_path: Path, screenshot_dir: Path
) -> None:
    open_page(owner, server, "/discovered")
    settle(owner)
    owner.save_screenshot(str(screenshot_dir / "queue.png"))
    before = queue_count(owner)
    owner.execute_script("window.__marker = 1")
    time.sleep(0.5)  # let the page's EventSource connect before the ingest
    leases = tmp_path / "dnsmasq.leases"
    leases.write_text(f"0 {LIVE_MAC} 192.168.1.150 {LIVE_HOSTNAME} *\n")
    lanventory.ingest("dnsmasq", leases, NOW + 600)

    found = f'article.device[data-mac="{LIVE_MAC}"]'
    wait(owner).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, found),
        f"{found} did not appear in the open queue within 10 s",
    )
    assert owner.execute_script("return window.__marker") == 1, "the page was reloaded"
    wait(owner, 5).until(lambda _: queue_count(owner) == before + 1)
    assert LIVE_HOSTNAME in owner.find_element(By.CSS_SELECTOR, found).text
    assert owner.find_elements(By.CSS_SELECTOR, "svg[onload]") == []
    no_alert(owner)
    check_page(owner)


def test_csp_forbids_inline_script_and_pages_need_a_session(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        anonymous = client.get("/discovered")
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/login?next=")
        assert client.get("/static/app.js").status_code == 200
        assert client.post("/api/login", json={"password": server.password}).status_code == 200
        for path in ("/login", "/", "/discovered", "/status", f"/devices/{NETWORK}/{PRINTER_MAC}"):
            page = client.get(path)
            assert page.status_code == 200, path
            policy = page.headers.get("content-security-policy", "")
            directives = {
                part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()
            }
            assert directives.get("script-src") == ["'self'"], f"{path}: {policy!r}"
            assert "'unsafe-inline'" not in policy, f"{path}: {policy!r}"


def test_phone_width_has_no_horizontal_scroll(owner: WebDriver, server: Server) -> None:
    owner.set_window_size(390, 844)
    for path in ("/", "/discovered", f"/devices/{NETWORK}/{PRINTER_MAC}"):
        open_page(owner, server, path)
        widths = owner.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert widths[1] <= 400, f"the viewport is {widths[1]} wide"
        assert widths[0] <= widths[1], f"{path}: scrollWidth {widths[0]} > innerWidth {widths[1]}"
