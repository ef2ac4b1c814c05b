#!/usr/bin/env python3
"""Compare lanventory's native ARP sweep with arp-scan on namespace labs of 250 hosts.

    sudo .venv/bin/python bench/sweep.py [--hosts 250] [--labs bridge,macvlan,small]
                                         [--json results.json] [--skip-native] [--keep]

The labs (built by ``bench/sweeplab.py``, whose docstring draws them) are a /20 whose hosts
hang off a kernel bridge (every broadcast flooded to 250 ports), a /20 whose hosts are macvlan
interfaces (broadcasts go through macvlan's bounded queue and are dropped when the sender is
too fast, like on Wi-Fi access points and cheap switches) and a /24 with 15 bridge hosts.  All
addresses are in 198.18.0.0/15; every sweep runs inside the lab's sweeper namespace.

For each lab it measures, in this one run so that the ratios are comparable:

1. ``arp-scan -I IFACE CIDR`` at its defaults (256 kbit/s, 2 tries per address);
2. arp-scan at the fastest ``--bandwidth`` that still finds every host: a ladder of doublings
   from 256k to 1G (each also run with ``--retry=1`` to show the loss of a single pass), then
   a geometric bisection below the first rate that lost a host, the winner confirmed by
   repeats because loss is random near the edge;
3. ``lanventory scan --engine native`` on a fresh SQLite database (default, adaptive rate);
4. the same again on that database (the rate learned by the first sweep).

Wall time, CPU time (user + system of the child, from ``wait4``) and recall (hosts found with
the right MAC and IP / hosts) are printed as one table per lab and written as JSON with
``--json``.  The machine should otherwise be idle: the figures are CPU-bound.  On the bridge
labs the CPU time includes the kernel's flooding of every broadcast to all bridge ports, which
runs in the sending process's context and is charged to it.  The macvlan lab's table also
shows the broadcasts macvlan dropped during each run.

``--keep`` leaves the namespaces in place for a look around (``ip netns list``); ``--cleanup``
deletes those of benchmark processes that are gone, which every run also does first.
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import json
import math
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import sweeplab
from sweeplab import LabError, LabSpec, Namespaces, SweepLab

LAB_SPECS = {
    "bridge": ("bridge", "lab1", "198.18.16.0/20"),
    "macvlan": ("macvlan", "lab2", "198.18.32.0/20"),
    "small": ("bridge", "lab3", "198.18.48.0/24"),
}
SMALL_HOSTS = 15
LADDER_START = 256_000
LADDER_TOP = 1_000_000_000
BISECT_UNTIL = 1.15
"""Stop bisecting when the failing rate is within this factor of the passing one."""
RUN_TIMEOUT = 600.0
_STATS_FIELDS = {
    "sent": re.compile(r"\bsent (\d+)"),
    "answered": re.compile(r"\banswered (\d+)"),
    "rounds": re.compile(r"\brounds (\d+)"),
    "rate": re.compile(r"\brate ([\d./]+) pps"),
    "seconds": re.compile(r"pps, ([\d.]+) s\b"),
    "next_rate": re.compile(r"next sweep starts at ([\d.]+) pps"),
}


@dataclass
class Run:
    """One timed sweep and what it found."""

    label: str
    command: list[str]
    wall_s: float
    cpu_s: float
    exit_code: int
    found: int
    hosts: int
    wrong: int = 0
    """Answers whose MAC/IP pair is not in the truth table."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.exit_code == 0 and self.found == self.hosts

    def recall(self) -> str:
        return f"{self.found}/{self.hosts}"


@dataclass
class Timed:
    wall_s: float
    cpu_s: float
    exit_code: int
    stdout: str
    stderr: str


def timed(args: Sequence[str], timeout: float = RUN_TIMEOUT) -> Timed:
    """Run a command; wall time and the child's user + system CPU time (``wait4``)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(list(args), stdout=out, stderr=err)
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Timed(
            wall_s=wall,
            cpu_s=usage.ru_utime + usage.ru_stime,
            exit_code=proc.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


def fmt_rate(bits: int) -> str:
    """arp-scan's ``--bandwidth`` in short form: 256k, 1.02M, 1G."""
    for unit, size in (("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if bits >= size:
            return f"{bits / size:.3g}{unit}"
    return str(bits)


def ladder() -> list[int]:
    rates, rate = [], LADDER_START
    while rate < LADDER_TOP:
        rates.append(rate)
        rate *= 2
    return [*rates, LADDER_TOP]


class Bench:
    """Runs the measurements of one lab."""

    def __init__(self, nss: Namespaces, lab: SweepLab, lanventory: str | None) -> None:
        self.nss = nss
        self.lab = lab
        self.lanventory = lanventory
        self.arp_scan = sweeplab.binary("arp-scan")
        self.truth = lab.truth()
        self.runs: list[Run] = []
        sweeplab.check_lab_network(lab.spec.cidr)

    # -- running -------------------------------------------------------------------------

    def in_sweeper(self, args: Sequence[str]) -> list[str]:
        """A command line that runs ``args`` inside the lab's sweeper namespace."""
        ns = self.lab.sweeper_ns
        if ns not in self.nss.created or not (sweeplab.NETNS_DIR / ns).exists():
            raise LabError(f"sweeper namespace {ns} is gone; refusing to run {args[0]}")
        return [self.nss.ip, "netns", "exec", ns, *args]

    def measure(self, label: str, args: Sequence[str], judge: Callable[[Timed], Run]) -> Run:
        before_drops = sweeplab.rx_dropped(self.nss, self.lab)
        before_softnet = sweeplab.softnet_dropped()
        result = timed(self.in_sweeper(args))
        run = judge(result)
        run.label = label
        after_drops = sweeplab.rx_dropped(self.nss, self.lab)
        drops = {k: after_drops[k] - before_drops.get(k, 0) for k in after_drops}
        drops["softnet_backlog"] = sweeplab.softnet_dropped() - before_softnet
        run.extra["rx_dropped"] = drops
        if result.exit_code != 0:
            run.extra["stderr"] = result.stderr.strip()[-2000:]
        self.runs.append(run)
        note = f" (exit {run.exit_code})" if run.exit_code else ""
        print(
            f"    {label:<36} {run.wall_s:7.2f} s wall {run.cpu_s:6.2f} s CPU"
            f"  {run.recall():>9}{note}",
            flush=True,
        )
        return run

    def arp_scan_run(self, label: str, options: Sequence[str]) -> Run:
        args = [self.arp_scan, "-I", self.lab.interface, *options, str(self.lab.spec.cidr)]

        def judge(result: Timed) -> Run:
            pairs = parse_arp_scan(result.stdout, self.lab.spec.cidr)
            found = {mac for ip, mac in pairs if self.truth.get(mac) == ip}
            wrong = {(ip, mac) for ip, mac in pairs if self.truth.get(mac) != ip}
            return Run(
                label="",
                command=args,
                wall_s=result.wall_s,
                cpu_s=result.cpu_s,
                exit_code=result.exit_code,
                found=len(found),
                hosts=len(self.truth),
                wrong=len(wrong),
                extra={"answers": len(pairs), "options": list(options)},
            )

        return self.measure(label, args, judge)

    def native_run(self, label: str, config: Path) -> Run:
        assert self.lanventory is not None
        network = self.lab.spec.network
        args = [
            self.lanventory, "--config", str(config),
            "scan", "--network", network, "--engine", "native",
        ]  # fmt: skip

        def judge(result: Timed) -> Run:
            devices = list_devices(self.lanventory or "", config, network)
            found = {
                d["mac"]
                for d in devices
                if d.get("present") and self.truth.get(d["mac"]) == d["ip"]
            }
            wrong = [d for d in devices if d.get("present") and self.truth.get(d["mac"]) != d["ip"]]
            extra: dict[str, Any] = {"stdout": result.stdout.strip().splitlines()}
            stats = parse_stats(result.stdout)
            if stats:
                extra["stats"] = stats
            return Run(
                label="",
                command=args,
                wall_s=result.wall_s,
                cpu_s=result.cpu_s,
                exit_code=result.exit_code,
                found=len(found),
                hosts=len(self.truth),
                wrong=len(wrong),
                extra=extra,
            )

        return self.measure(label, args, judge)

    # -- the measurements ----------------------------------------------------------------

    def search_bandwidth(self, defaults: Run, repeats: int, loss_curve: bool) -> dict[str, Any]:
        """The fastest ``--bandwidth`` at which arp-scan (default retries) finds every host."""
        curve: list[dict[str, Any]] = []
        passed: dict[int, bool] = {}

        def attempt(rate: int, label: str = "") -> Run:
            run = self.arp_scan_run(label or f"arp-scan -B {fmt_rate(rate)}", ["-B", str(rate)])
            run.extra["bandwidth"] = rate
            passed[rate] = passed.get(rate, True) and run.complete
            return run

        first_failure: int | None = None
        for rate in ladder():
            point: dict[str, Any] = {"bandwidth": rate}
            if loss_curve:
                single = self.arp_scan_run(
                    f"arp-scan -B {fmt_rate(rate)} --retry=1", ["-B", str(rate), "--retry=1"]
                )
                point["retry1"] = {"found": single.found, "wall_s": single.wall_s}
            if rate == LADDER_START:  # arp-scan's default bandwidth: that run is the defaults
                run = defaults
                run.extra["bandwidth"] = rate
                passed[rate] = run.complete
            else:
                run = attempt(rate)
            point["retry2"] = {"found": run.found, "wall_s": run.wall_s}
            curve.append(point)
            if not run.complete and first_failure is None:
                first_failure = rate
            if first_failure is not None and not loss_curve:
                break

        rates = ladder()
        if first_failure is None:
            lo, hi = rates[-1], None
        elif first_failure == rates[0]:
            return {"curve": curve, "winner": None, "note": "arp-scan defaults already lose hosts"}
        else:
            lo, hi = rates[rates.index(first_failure) - 1], first_failure
        while hi is not None and hi / lo > BISECT_UNTIL:
            mid = round(math.sqrt(lo * hi) / 1000) * 1000
            if attempt(mid).complete:
                lo = mid
            else:
                hi = mid
        # Confirm: the winner must find everyone `repeats` more times; else step down.
        while True:
            for _ in range(repeats):
                if not attempt(lo, f"arp-scan -B {fmt_rate(lo)} (confirm)").complete:
                    break
            if passed[lo]:
                break
            lower = [r for r, ok in passed.items() if ok and r < lo]
            if not lower:  # nothing slower found every host every time: give up
                break
            lo = max(lower)
        winner_runs = [
            r for r in self.runs if r.extra.get("bandwidth") == lo and "--retry=1" not in r.command
        ]
        best = sorted(winner_runs, key=lambda r: r.wall_s)[len(winner_runs) // 2]
        return {
            "curve": curve,
            "winner": lo,
            "confirmed": passed[lo],
            "capped": lo == LADDER_TOP and passed[lo],
            "tried": {str(r): ok for r, ok in sorted(passed.items())},
            "winner_walls": [r.wall_s for r in winner_runs],
            "best": best,
        }


def parse_arp_scan(text: str, cidr: ipaddress.IPv4Network) -> list[tuple[str, str]]:
    """``(ip, mac)`` of arp-scan's host lines (``IP<TAB>MAC<TAB>vendor``), duplicates kept."""
    pairs = []
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) < 2:
            continue
        try:
            ip = ipaddress.IPv4Address(fields[0].strip())
        except ValueError:
            continue
        if ip in cidr:
            pairs.append((str(ip), fields[1].strip().lower()))
    return pairs


def parse_stats(text: str) -> dict[str, str]:
    """The fields of the stats line ``lanventory scan`` prints after a native sweep."""
    for line in text.splitlines():
        if "sent " in line and "answered " in line:
            found = {k: m.group(1) for k, rx in _STATS_FIELDS.items() if (m := rx.search(line))}
            return {"line": line.strip(), **found}
    return {}


def list_devices(lanventory: str, config: Path, network: str) -> list[dict[str, Any]]:
    out = sweeplab.run(
        [lanventory, "--config", str(config), "devices", "--network", network, "--json"]
    )
    devices: list[dict[str, Any]] = json.loads(out or "[]")
    return devices


def native_problem(lanventory: str) -> str | None:
    """Why ``lanventory scan --engine native`` cannot run, or None."""
    if not Path(lanventory).exists():
        return f"{lanventory} does not exist"
    proc = subprocess.run([lanventory, "scan", "--help"], capture_output=True, text=True)
    if proc.returncode != 0:
        return f"`lanventory scan --help` failed: {proc.stderr.strip()}"
    if "--engine" not in proc.stdout or "native" not in proc.stdout:
        return "`lanventory scan` has no `--engine native`"
    return None


def write_config(directory: Path, lab: SweepLab) -> Path:
    """A lanventory config for one lab: fresh SQLite db, the lab network, a native sweep."""
    spec = lab.spec
    config = directory / "lanventory.toml"
    config.write_text(
        f'db = "sqlite:///{directory}/lanventory.db"\n'
        f'data_dir = "{directory}"\n\n'
        "[[networks]]\n"
        f'name = "{spec.network}"\n'
        f'cidr = "{spec.cidr}"\n'
        f'interface = "{lab.interface}"\n\n'
        "[networks.sweep]\n"
        'engine = "native"\n'
        "rate = 0\n"
    )
    return config


# --------------------------------------------------------------------------- reporting


def ratios(rows: list[tuple[str, Run]]) -> dict[str, dict[str, float | None]]:
    """Per row: wall of arp-scan defaults / wall of the row, wall of the row / wall of best."""
    walls = {name: run.wall_s for name, run in rows}
    out: dict[str, dict[str, float | None]] = {}
    for name, run in rows:
        defaults, best = walls.get("defaults"), walls.get("best")
        out[name] = {
            "defaults_over_x": defaults / run.wall_s if defaults and run.wall_s else None,
            "x_over_best": run.wall_s / best if best else None,
        }
    return out


def table(lab: SweepLab, rows: list[tuple[str, Run]]) -> str:
    spec = lab.spec
    drops = lab.hosts_ns is not None
    lines = [
        f"lab {spec.name} ({spec.network}, {spec.cidr}, {len(lab.hosts)} hosts, "
        f"built in {lab.build_s:.1f} s)",
        f"  {'tool / settings':<40} {'wall s':>7} {'CPU s':>6} {'recall':>8}"
        f" {'defaults/x':>10} {'x/best':>7}" + (f" {'bc drops':>8}" if drops else ""),
    ]
    ratio = ratios(rows)
    for name, run in rows:
        speedup, vs_best = ratio[name]["defaults_over_x"], ratio[name]["x_over_best"]
        dropped = run.extra.get("rx_dropped", {}).get("trunk0", 0)
        lines.append(
            f"  {run.label:<40} {run.wall_s:7.2f} {run.cpu_s:6.2f} {run.recall():>8}"
            f" {'-' if speedup is None else f'{speedup:.2f}':>10}"
            f" {'-' if vs_best is None else f'{vs_best:.2f}':>7}"
            + (f" {dropped:>8}" if drops else "")
            + (f" FAILED (exit {run.exit_code})" if run.exit_code else "")
        )
    lines.append(
        "  defaults/x = wall of arp-scan defaults / wall of the row;"
        " x/best = wall of the row / wall of the fastest loss-free arp-scan"
        + ("; bc drops = broadcasts macvlan dropped (trunk0 rx_dropped)" if drops else "")
    )
    for _, run in rows:
        if "stats" in run.extra:
            lines.append(f"  {run.label}: {run.extra['stats']['line']}")
        elif run.label.startswith("lanventory"):
            lines.append(f"  {run.label}: no stats line in {run.extra.get('stdout')}")
    return "\n".join(lines)


def curve_table(search: dict[str, Any], hosts: int) -> str:
    lines = [
        f"  {'-B':>7} {'found, 1 pass':>14} {'wall s':>7} {'found, 2 tries':>15} {'wall s':>7}"
    ]
    for point in search["curve"]:
        single = point.get("retry1")
        first = f"{single['found']}/{hosts} {single['wall_s']:7.2f}" if single else f"{'-':>22}"
        two = point["retry2"]
        lines.append(
            f"  {fmt_rate(point['bandwidth']):>7} {first:>22}"
            f" {two['found']:>11}/{hosts} {two['wall_s']:7.2f}"
        )
    if search.get("winner"):
        tried = ", ".join(
            f"{fmt_rate(int(r))} {'ok' if ok else 'lost'}" for r, ok in search["tried"].items()
        )
        cap = " (the top of the search: no loss at any rate)" if search["capped"] else ""
        if not search["confirmed"]:
            cap += " (NOT confirmed: it lost hosts in a repeat)"
        lines.append(f"  fastest -B with every host: {fmt_rate(search['winner'])}{cap}")
        lines.append(f"  all -B tried (ok = every run found every host): {tried}")
    else:
        lines.append(f"  no -B found every host: {search.get('note')}")
    return "\n".join(lines)


def run_lab(
    nss: Namespaces, lab: SweepLab, args: argparse.Namespace, lanventory: str | None
) -> dict[str, Any]:
    bench = Bench(nss, lab, lanventory)
    spec = lab.spec
    print(f"\n== {spec.name}: {len(lab.hosts)} hosts in {spec.cidr}", flush=True)
    rows: list[tuple[str, Run]] = []
    defaults = bench.arp_scan_run("arp-scan defaults (256k, 2 tries)", [])
    rows.append(("defaults", defaults))
    search = bench.search_bandwidth(defaults, args.repeats, not args.no_loss_curve)
    best: Run | None = search.pop("best", None)
    if best is not None:
        best = dataclasses.replace(best, extra=dict(best.extra))
        best.label = f"arp-scan -B {fmt_rate(search['winner'])} (fastest w/o loss)"
        rows.append(("best", best))
    if lanventory is not None:
        with tempfile.TemporaryDirectory(prefix=f"lanventory-bench-{spec.network}-") as tmp:
            config = write_config(Path(tmp), lab)
            # An installed lanventory has its database already: create the schema
            # untimed, so the first sweep measures the sweep, not the migration.
            sweeplab.run([lanventory, "--config", str(config), "db", "upgrade"])
            rows.append(("native1", bench.native_run("lanventory native, first sweep", config)))
            rows.append(("native2", bench.native_run("lanventory native, second sweep", config)))
    print()
    print(table(lab, rows))
    print(curve_table(search, len(lab.hosts)))
    return {
        "lab": spec.name,
        "kind": spec.kind,
        "network": spec.network,
        "cidr": str(spec.cidr),
        "hosts": len(lab.hosts),
        "build_s": lab.build_s,
        "details": lab.details,
        "sweeper": {"ns": lab.sweeper_ns, "interface": lab.interface, "ip": lab.sweeper_ip},
        "rows": {name: asdict(run) for name, run in rows},
        "ratios": ratios(rows),
        "search": search,
        "runs": [asdict(run) for run in bench.runs],
    }


# --------------------------------------------------------------------------- main


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hosts", type=int, default=250, help="hosts in the /20 labs")
    parser.add_argument("--labs", default="bridge,macvlan,small", help="comma-separated")
    parser.add_argument("--seed", type=int, default=1, help="address and MAC choice")
    parser.add_argument("--repeats", type=int, default=2, help="confirmations of the -B winner")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--keep", action="store_true", help="leave the labs for debugging")
    parser.add_argument("--skip-native", action="store_true", help="only measure arp-scan")
    parser.add_argument(
        "--no-loss-curve",
        action="store_true",
        help="skip the --retry=1 runs and stop the -B ladder at the first loss",
    )
    parser.add_argument(
        "--bcqueuelen",
        type=int,
        help="macvlan broadcast queue length for the macvlan lab (default: the kernel's, 1000)",
    )
    parser.add_argument(
        "--lanventory",
        default=str(Path(sys.executable).parent / "lanventory"),
        help="the lanventory command (default: next to this Python)",
    )
    parser.add_argument(
        "--cleanup", action="store_true", help="delete labs left by --keep runs and exit"
    )
    args = parser.parse_args()
    if os.geteuid() != 0:
        parser.error("needs root (it creates network namespaces); run it with sudo")
    stale = sweeplab.stale_namespaces()
    if stale:
        print(f"deleting {len(stale)} namespaces left by an earlier run ({stale[0]}, ...)")
        sweeplab.remove_namespaces(stale)
    if args.cleanup:
        return 0
    names = [n.strip() for n in args.labs.split(",") if n.strip()]
    unknown = [n for n in names if n not in LAB_SPECS]
    if unknown:
        parser.error(f"unknown labs {unknown}; known: {', '.join(LAB_SPECS)}")
    lanventory: str | None = None
    if not args.skip_native:
        problem = native_problem(args.lanventory)
        if problem:
            parser.error(f"{problem}; use --skip-native to measure arp-scan only")
        lanventory = args.lanventory

    signal.signal(signal.SIGTERM, _terminate)
    nss = Namespaces()
    results: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "kernel": platform.release(),
            "cpus": os.cpu_count(),
            "loadavg_before": os.getloadavg(),
            "arp_scan": _arp_scan_version(),
        },
        "hosts": args.hosts,
        "seed": args.seed,
        "labs": [],
    }
    try:
        labs = []
        for name in names:
            kind, network, cidr = LAB_SPECS[name]
            hosts = SMALL_HOSTS if name == "small" else args.hosts
            spec = LabSpec(name, kind, network, ipaddress.IPv4Network(cidr), hosts)
            lab = sweeplab.build_lab(nss, spec, args.seed, args.bcqueuelen)
            print(f"built lab {name} in {lab.build_s:.2f} s ({lab.details['namespaces']} ns)")
            labs.append(lab)
        for lab in labs:
            results["labs"].append(run_lab(nss, lab, args, lanventory))
    except (KeyboardInterrupt, SystemExit):
        print("\ninterrupted", flush=True)
        raise
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if args.keep:
            print(f"\nkept {len(nss.created)} namespaces {nss.prefix}-*; remove them with")
            print(f"  sudo {sys.executable} {sys.argv[0]} --cleanup")
        else:
            took = nss.close()
            print(f"\ndeleted the lab namespaces in {took:.2f} s")
        signal.signal(signal.SIGINT, signal.default_int_handler)
    results["machine"]["loadavg_after"] = os.getloadavg()
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
        print(f"results written to {args.json}")
    return 0


def _arp_scan_version() -> str:
    proc = subprocess.run(
        [sweeplab.binary("arp-scan"), "--version"], capture_output=True, text=True
    )
    text = proc.stdout + proc.stderr
    return text.splitlines()[0].strip() if text else "unknown"


if __name__ == "__main__":
    sys.exit(main())
