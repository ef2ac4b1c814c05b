"""Hostile device strings in a real Chromium: markup stays text, nothing runs, nothing
is injected, and a 10,000-character hostname leaves the page usable.

A server of its own (``lanventory serve`` on its own database) ingests the
hand-made hostile captures through the real parsers, so the shared server of
``test_ui.py`` keeps exactly the devices its tests count. The browser is the
shared one; its session cookie for this server is dropped at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from lanventory.store.devices import edit_device
from lanventory.store.engine import create_engine
from tests.browser.conftest import (
    NETWORK,
    NOW,
    WINDOW,
    Lanventory,
    Server,
    running_server,
)
from tests.browser.test_ui import check_page, log_in, no_alert, open_page
from tests.store.test_hostile_strings import (
    ARP_SCAN,
    IMG,
    KEA_API,
    KEA_CSV,
    LONG,
    SCRIPT,
)

#: Promoted to the band, unnamed: the band shows what the device reported.
MARKUP_MAC = "00:5e:5e:00:00:01"
LONG_MAC = "00:77:77:00:00:01"
CONTROL_MAC = "00:99:99:00:00:01"
#: A device whose hostname and client id came from Kea's API.
API_MAC = "08:5e:5e:00:00:01"
#: A device whose vendor is markup (from arp-scan).
VENDOR_MAC = "10:5e:5e:00:00:01"
#: Elements the captures would inject if their markup were parsed.
INJECTED = 'img[src="x"], script:not([src]), svg[onload], marquee, [onerror], [onload]'


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``lanventory serve`` on a database holding only the hostile captures."""
    root = tmp_path_factory.mktemp("hostile-serve")
    config = root / "cfg.toml"
    config.write_text(f'[[networks]]\nname = "{NETWORK}"\ncidr = "198.18.7.0/24"\n')
    env = {**os.environ, "LANVENTORY_DATA_DIR": str(root / "data"), "PYTHONUNBUFFERED": "1"}
    lv = Lanventory(f"sqlite:///{root / 'lv.db'}", config, env)
    lv.ingest("kea-csv", KEA_CSV, NOW)
    lv.ingest("kea-api", KEA_API, NOW)
    lv.ingest("arp-scan", ARP_SCAN, NOW)
    engine = create_engine(lv.db)
    try:
        for mac in (MARKUP_MAC, LONG_MAC, CONTROL_MAC):
            fields = {"status": "known", "grp": "Entertainment"}
            edit_device(engine, NETWORK, mac, fields, datetime.fromtimestamp(NOW + 60, UTC))
    finally:
        engine.dispose()
    with running_server(lv) as started:
        yield started


@pytest.fixture
def viewer(browser: WebDriver, hostile_server: Server) -> Iterator[WebDriver]:
    """The shared browser, logged in to the hostile server; logged out again afterwards."""
    browser.set_window_size(*WINDOW)
    browser.delete_all_cookies()
    browser.get(hostile_server.url + "/login")
    log_in(browser, hostile_server)
    try:
        yield browser
    finally:
        browser.delete_all_cookies()  # the shared server must not see this server's session


def inert(driver: WebDriver) -> None:
    """Nothing ran, nothing was injected, the page kept its navigation and stayed
    usable: the nav fits the window and the page is not thousands of pixels wide."""
    driver.execute_script("return new Promise((done) => setTimeout(done, 300))")
    no_alert(driver)
    assert driver.find_elements(By.CSS_SELECTOR, f"main {INJECTED}") == [], driver.current_url
    nav = driver.find_element(By.CSS_SELECTOR, "nav[aria-label=Main]")
    assert nav.is_displayed()
    assert driver.find_element(By.CSS_SELECTOR, "a#nav-band").is_displayed()
    box = driver.execute_script(
        "const r = document.querySelector('nav').getBoundingClientRect();"
        "return [r.left, r.right, document.documentElement.scrollWidth, window.innerWidth];"
    )
    left, right, scroll_width, inner_width = box
    assert 0 <= left and right <= inner_width + 1, f"{driver.current_url}: nav at {box}"
    assert scroll_width <= inner_width * 1.5, f"{driver.current_url}: page width {box}"
    check_page(driver)


def body_text(driver: WebDriver) -> str:
    return str(driver.find_element(By.TAG_NAME, "body").text)


def test_the_band_shows_markup_as_text(viewer: WebDriver, hostile_server: Server) -> None:
    open_page(viewer, hostile_server, "/")
    text = body_text(viewer)
    assert SCRIPT in text and IMG in text
    assert LONG in text
    inert(viewer)


def test_the_queue_shows_markup_as_text(viewer: WebDriver, hostile_server: Server) -> None:
    open_page(viewer, hostile_server, "/discovered")
    text = body_text(viewer)
    assert f"api-{SCRIPT}" in text
    assert "=HYPERLINK(" in text
    assert VENDOR_MAC in text and IMG in text
    inert(viewer)


@pytest.mark.parametrize("mac", [MARKUP_MAC, LONG_MAC, CONTROL_MAC, API_MAC, VENDOR_MAC])
def test_the_device_page_shows_markup_as_text(
    viewer: WebDriver, hostile_server: Server, mac: str
) -> None:
    open_page(viewer, hostile_server, f"/devices/{NETWORK}/{mac}")
    text = body_text(viewer)
    expected = {
        MARKUP_MAC: (SCRIPT, IMG),
        LONG_MAC: (LONG,),
        CONTROL_MAC: ("tv", "[31mred"),
        API_MAC: (f"api-{SCRIPT}", IMG),  # its hostname, and its client id
        VENDOR_MAC: (IMG,),
    }[mac]
    for part in expected:
        assert part in text, f"{mac}: {part[:40]!r} not shown"
    inert(viewer)
