"""The deployment files: example configs, systemd units, sysusers/tmpfiles, proxies, the guide.

Each file is checked against lanventory itself (the config loader, the click command group,
the settings' names, the live stream's route) and, where the machine has it, against systemd's
own tools. What cannot be run here (systemd as init, NixOS, a container build) is said in
docs/deploy.md, "What was tested here and what was not".
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from lanventory.cli import main
from lanventory.config import Settings
from lanventory.server_config import ServerConfig

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SYSTEMD = DEPLOY / "systemd"
GUIDE = ROOT / "docs" / "deploy.md"
INSTALLED = "/opt/lanventory/bin/lanventory"
UNITS = ["lanventory.service", "lanventory-agent.service"]


@pytest.fixture(autouse=True)
def no_lanventory_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The files are judged on their own, not with the developer's LANVENTORY_* overrides."""
    for name in list(os.environ):
        if name.startswith("LANVENTORY_"):
            monkeypatch.delenv(name)


def config_check(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--config", str(path), "config", "check"])
    return result.exit_code, result.output


def read_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A unit file as section -> key -> every value given (systemd allows repeated keys)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path.name}: {line!r} is outside any section"
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: {line!r} is not KEY=VALUE"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def service(unit: str) -> dict[str, list[str]]:
    return read_unit(SYSTEMD / unit)["Service"]


def environment(unit: str) -> dict[str, str]:
    pairs = [item for value in service(unit).get("Environment", []) for item in shlex.split(value)]
    return dict(pair.split("=", 1) for pair in pairs)


def resolve(argv: list[str]) -> tuple[list[str], click.Command, list[str]]:
    """The command path ``argv`` names in lanventory's group, that command, and the rest."""
    command: click.Command = main
    path: list[str] = []
    rest = list(argv)
    while rest and isinstance(command, click.Group):
        word = rest[0]
        if word.startswith("-"):
            option = command_option(command, word)
            assert option is not None, f"lanventory {' '.join(path)}: no option {word}"
            rest = rest[1 + (0 if option.is_flag or "=" in word else 1) :]
            continue
        found = command.commands.get(word)
        if found is None:
            break
        path.append(word)
        command = found
        rest = rest[1:]
    return path, command, rest


def command_option(command: click.Command, word: str) -> click.Option | None:
    name = word.split("=", 1)[0]
    for param in command.params:
        if isinstance(param, click.Option) and name in (*param.opts, *param.secondary_opts):
            return param
    return None


def help_works(argv: list[str]) -> None:
    result = CliRunner().invoke(main, [*argv, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: "), result.output


# --- example configs ----------------------------------------------------------------------


def test_the_server_example_passes_config_check() -> None:
    code, out = config_check(DEPLOY / "lanventory.toml.example")
    assert code == 0, out
    assert "network lan: cidr 192.168.1.0/24, interface br-lan, sweep native (adaptive rate)" in out
    assert "kea-csv at '* * * * *'" in out
    assert "network iot: cidr 192.168.20.0/24, interface -, kea-api at '* * * * *'" in out


def test_the_server_example_keeps_the_documented_defaults() -> None:
    values = tomllib.loads((DEPLOY / "lanventory.toml.example").read_text(encoding="utf-8"))
    defaults = ServerConfig()
    assert values["server"]["host"] == defaults.host
    assert values["server"]["port"] == defaults.port
    assert values["server"]["trusted_proxies"] == defaults.trusted_proxies
    assert "db" not in values and "notifications" not in values  # commented out: SQLite, quiet


def without_agent_section(text: str) -> str:
    kept: list[str] = []
    skipping = False
    for line in text.splitlines():
        header = line.strip()
        if header.startswith("["):
            skipping = header == "[agent]"
        if not skipping:
            kept.append(line)
    return "\n".join(kept) + "\n"


def test_the_agent_examples_networks_pass_config_check(tmp_path: Path) -> None:
    text = (DEPLOY / "agent.toml.example").read_text(encoding="utf-8")
    networks_only = tmp_path / "agent-networks.toml"
    networks_only.write_text(without_agent_section(text), encoding="utf-8")
    assert "agent" not in tomllib.loads(networks_only.read_text(encoding="utf-8"))
    code, out = config_check(networks_only)
    assert code == 0, out
    assert "network branch: cidr 10.20.0.0/24, interface eth1, sweep native" in out


def test_the_agent_example_has_the_documented_agent_section() -> None:
    values = tomllib.loads((DEPLOY / "agent.toml.example").read_text(encoding="utf-8"))
    assert values["agent"] == {
        "server": "https://inventory.example.net",
        "token_file": "/etc/lanventory/agent.token",
        "queue": "/var/lib/lanventory-agent/queue",
    }


def test_the_whole_agent_example_passes_config_check() -> None:
    code, out = config_check(DEPLOY / "agent.toml.example")
    assert code == 0, out


# --- systemd units --------------------------------------------------------------------------

HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "RestrictNamespaces": "yes",
    "SystemCallFilter": "@system-service",
    "Restart": "on-failure",
}


@pytest.mark.parametrize("unit", UNITS)
def test_units_run_as_the_static_user_with_cap_net_raw_only(unit: str) -> None:
    sections = read_unit(SYSTEMD / unit)
    assert set(sections) == {"Unit", "Service", "Install"}
    settings = sections["Service"]
    assert settings["User"] == ["lanventory"] and settings["Group"] == ["lanventory"]
    assert "DynamicUser" not in settings
    assert settings["AmbientCapabilities"] == ["CAP_NET_RAW"]
    assert settings["CapabilityBoundingSet"] == ["CAP_NET_RAW"]
    for key, value in HARDENING.items():
        assert settings[key] == [value], key
    families = set(settings["RestrictAddressFamilies"][0].split())
    assert families == {"AF_UNIX", "AF_INET", "AF_INET6", "AF_PACKET", "AF_NETLINK"}
    assert sections["Install"]["WantedBy"] == ["multi-user.target"]


def test_the_server_unit_keeps_its_state_where_the_data_dir_points() -> None:
    settings = service("lanventory.service")
    assert settings["StateDirectory"] == ["lanventory"]
    assert environment("lanventory.service") == {
        "LANVENTORY_CONFIG": "/etc/lanventory/lanventory.toml",
        "LANVENTORY_DATA_DIR": "/var/lib/lanventory",
        "PYTHONUNBUFFERED": "1",
    }
    assert "ExecStartPre" not in settings  # upgrades migrate by hand, after a backup


def test_the_agent_unit_keeps_its_queue_in_its_own_state_directory() -> None:
    assert service("lanventory-agent.service")["StateDirectory"] == ["lanventory-agent"]
    env = environment("lanventory-agent.service")
    assert env["LANVENTORY_CONFIG"] == "/etc/lanventory/agent.toml"
    assert env["LANVENTORY_DATA_DIR"] == "/var/lib/lanventory-agent"
    example = tomllib.loads((DEPLOY / "agent.toml.example").read_text(encoding="utf-8"))
    assert example["agent"]["queue"].startswith(env["LANVENTORY_DATA_DIR"] + "/")


@pytest.mark.parametrize("unit", UNITS)
def test_the_units_environment_names_settings_lanventory_reads(unit: str) -> None:
    config_option = next(p for p in main.params if p.name == "config_file")
    assert config_option.envvar == "LANVENTORY_CONFIG"
    for name in environment(unit):
        if name in ("LANVENTORY_CONFIG", "PYTHONUNBUFFERED"):
            continue
        setting = name.removeprefix("LANVENTORY_").lower()
        assert setting in Settings.model_fields, name


def exec_start(unit: str) -> list[str]:
    (command,) = service(unit)["ExecStart"]
    argv = shlex.split(command)
    assert argv[0] == INSTALLED
    return argv[1:]


def test_the_server_units_command_is_real() -> None:
    argv = exec_start("lanventory.service")
    path, _command, rest = resolve(argv)
    assert path == ["serve"] and rest == []
    help_works(argv)


def test_the_agent_units_command_is_real() -> None:
    argv = exec_start("lanventory-agent.service")
    path, _command, rest = resolve(argv)
    assert path == ["agent"] and rest == []
    help_works(argv)


def systemd_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed here (optional tooling)")
    return found


@pytest.fixture
def runnable_units(tmp_path: Path) -> Iterator[Path]:
    """The units with ExecStart= pointed at this environment's lanventory (verify checks it)."""
    here = Path(sys.executable).parent / "lanventory"
    assert here.is_file(), here
    for unit in UNITS:
        text = (SYSTEMD / unit).read_text(encoding="utf-8")
        (tmp_path / unit).write_text(text.replace(INSTALLED, str(here)), encoding="utf-8")
    yield tmp_path


def test_systemd_analyze_verify_accepts_the_units(runnable_units: Path) -> None:
    tool = systemd_tool("systemd-analyze")
    paths = [str(runnable_units / unit) for unit in UNITS]
    done = subprocess.run(
        [tool, "verify", *paths], capture_output=True, text=True, timeout=60, check=False
    )
    output = done.stdout + done.stderr
    about_ours = [line for line in output.splitlines() if any(u in line for u in UNITS)]
    assert done.returncode == 0, output
    assert about_ours == [], output


def test_systemd_analyze_security_rates_the_server_unit_ok(runnable_units: Path) -> None:
    tool = systemd_tool("systemd-analyze")
    done = subprocess.run(
        [tool, "security", "--offline=yes", str(runnable_units / "lanventory.service")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    found = re.search(r"Overall exposure level for lanventory\.service: ([\d.]+)", done.stdout)
    if found is None and "--offline" in done.stderr:
        pytest.skip("this systemd-analyze has no --offline security check")
    assert found is not None, done.stdout + done.stderr
    assert float(found.group(1)) < 3.0, done.stdout


def test_sysusers_and_tmpfiles_create_the_user_and_directories(tmp_path: Path) -> None:
    sysusers = systemd_tool("systemd-sysusers")
    tmpfiles = systemd_tool("systemd-tmpfiles")
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    subprocess.run(
        [sysusers, f"--root={root}", str(SYSTEMD / "lanventory.sysusers")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    passwd = (root / "etc" / "passwd").read_text(encoding="utf-8").splitlines()
    (entry,) = [line.split(":") for line in passwd if line.startswith("lanventory:")]
    assert entry[5:] == ["/var/lib/lanventory", "/usr/sbin/nologin"]
    assert "lanventory:" in (root / "etc" / "group").read_text(encoding="utf-8")
    if os.geteuid() != 0:
        return  # creating directories owned by another user needs root
    subprocess.run(
        [tmpfiles, f"--root={root}", "--create", str(SYSTEMD / "lanventory.tmpfiles")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    uid, gid = int(entry[2]), int(entry[3])
    for path, mode, owner in [
        ("etc/lanventory", 0o750, (0, gid)),
        ("var/lib/lanventory", 0o750, (uid, gid)),
    ]:
        info = (root / path).stat()
        assert (info.st_mode & 0o7777, (info.st_uid, info.st_gid)) == (mode, owner), path


def test_sysusers_names_the_units_user() -> None:
    lines = (SYSTEMD / "lanventory.sysusers").read_text(encoding="utf-8").splitlines()
    users = [line.split()[1] for line in lines if line.startswith("u ")]
    assert users == ["lanventory"]
    for unit in UNITS:
        assert service(unit)["User"] == users


# --- NixOS module and container -----------------------------------------------------------


def test_the_nixos_module_carries_the_units_hardening() -> None:
    module = (DEPLOY / "nixos" / "lanventory.nix").read_text(encoding="utf-8")
    for key in ["AmbientCapabilities", "CapabilityBoundingSet", *HARDENING, "StateDirectory"]:
        assert re.search(rf"\b{key} = ", module), key
    assert 'AmbientCapabilities = [ "CAP_NET_RAW" ];' in module
    assert "pkgs.formats.toml" in module and "openFirewall" in module
    assert 'LANVENTORY_CONFIG = "/etc/lanventory/lanventory.toml";' in module
    assert 'ExecStart = "${cfg.package}/bin/lanventory serve";' in module


def test_the_nixos_files_parse() -> None:
    tool = shutil.which("nix-instantiate")
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail(
                "nix-instantiate (Debian's nix-bin) must be installed in CI: run ./scripts/test"
            )
        pytest.skip("nix-instantiate is not installed here: run ./scripts/test")
    for name in ["lanventory.nix", "package.nix"]:
        subprocess.run(
            [tool, "--parse", str(DEPLOY / "nixos" / name)],
            capture_output=True,
            timeout=60,
            check=True,
        )


def test_the_containerfile_runs_a_real_command_as_an_unprivileged_user() -> None:
    lines = (DEPLOY / "container" / "Containerfile").read_text(encoding="utf-8").splitlines()
    instructions = [line.split(None, 1) for line in lines if line and line[0].isupper()]
    by_name: dict[str, list[str]] = {}
    for name, argument in instructions:
        by_name.setdefault(name, []).append(argument)
    assert by_name["FROM"] == ["python:3.11-slim"]
    assert by_name["USER"] == ["lanventory"]
    assert by_name["VOLUME"] == ["/var/lib/lanventory"]
    assert by_name["ENTRYPOINT"] == ['["/opt/lanventory/bin/python", "-m", "lanventory.cli"]']
    assert by_name["CMD"] == ['["serve"]']
    help_works(["serve"])
    for argument in by_name["COPY"]:
        *sources, _target = argument.split()
        for source in sources:
            assert (ROOT / source).exists(), source


# --- reverse proxies ------------------------------------------------------------------------


def test_the_proxies_forward_to_the_default_address_and_stream_events_unbuffered() -> None:
    from lanventory.web import live

    stream = "/api/events/stream"
    assert stream in {getattr(route, "path", None) for route in live.router.routes}
    upstream = f"{ServerConfig().host}:{ServerConfig().port}"
    nginx = (DEPLOY / "reverse-proxy" / "nginx.conf").read_text(encoding="utf-8")
    locations = re.findall(r"^    location ([^{]+)\{(.*?)\n    \}", nginx, flags=re.S | re.M)
    by_path = {path.strip(): body for path, body in locations}
    assert set(by_path) == {"/", f"= {stream}"}
    for body in by_path.values():
        assert f"proxy_pass http://{upstream};" in body
        assert re.search(r"proxy_set_header X-Forwarded-Proto\s+\$scheme;", body)
        assert re.search(r"proxy_set_header X-Forwarded-For\s+\$remote_addr;", body)
    assert "proxy_buffering off;" in by_path[f"= {stream}"]
    caddy = (DEPLOY / "reverse-proxy" / "Caddyfile").read_text(encoding="utf-8")
    assert f"reverse_proxy {upstream}" in caddy and "flush_interval -1" in caddy


# --- the guide --------------------------------------------------------------------------------

IN_BLOCK = re.compile(
    r"(?:^|[\s|;])(?:lv|/opt/lanventory/bin/lanventory|python -m lanventory\.cli)\s+(.*)"
)
INLINE = re.compile(r"(?:lv|lanventory)\s+(.*)")


def guide_commands() -> list[list[str]]:
    """Every lanventory command line in the guide's shell blocks and inline code."""
    text = GUIDE.read_text(encoding="utf-8")
    found: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            match = IN_BLOCK.search(line.split(" #", 1)[0])
            if match is not None:
                found.append(match.group(1))
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    for code in re.findall(r"`([^`]+)`", prose):
        match = INLINE.fullmatch(code)
        if match is not None:
            found.append(match.group(1))
    commands = [shlex.split(command.split("|")[0]) for command in found]
    return [words for words in commands if words and not words[0].startswith("$")]


def check_command(words: list[str]) -> list[str]:
    """Problems with one command line: an unknown command, or an option it does not have."""
    path, command, rest = resolve(words)
    if not path and not (words and words[0].startswith("-")):
        return [f"lanventory {' '.join(words)}: no such command"]
    problems = []
    for word in rest:
        if word.startswith("--") and word != "--help" and command_option(command, word) is None:
            problems.append(f"lanventory {' '.join(path)}: no option {word}")
    return problems


def test_the_guides_commands_exist() -> None:
    commands = [words for words in guide_commands() if words[:1] != ["agent"]]
    assert len(commands) >= 10
    problems = [problem for words in commands for problem in check_command(words)]
    assert problems == []


def test_the_guides_agent_commands_exist() -> None:
    commands = [words for words in guide_commands() if words[:1] == ["agent"]]
    assert commands
    problems = [problem for words in commands for problem in check_command(words)]
    assert problems == []
