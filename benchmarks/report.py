"""Turn a results dict into targets, a Markdown report and a PNG chart."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from benchmarks import pool_micro

KINDS = ("get", "set")


def _rate(data: dict[str, Any], name: str, kind: str, threads: int) -> float | None:
    entry = data["throughput"]["results"].get(name, {}).get(kind, {}).get(str(threads))
    return None if entry is None else float(entry["ops_per_s"])


def _vs_ours(data: dict[str, Any], name: str, kind: str, threads: int) -> float | None:
    """Median of per-round ratios: each round's figure over ours from the same round."""
    results = data["throughput"]["results"]
    try:
        mine = results[name][kind][str(threads)]["rounds"]
        ours = results["ours"][kind][str(threads)]["rounds"]
    except KeyError:
        return None
    return statistics.median(m / o for m, o in zip(mine, ours, strict=True))


def floor(data: dict[str, Any], kind: str) -> float:
    """The raw-socket floor: measured in the throughput rounds where it was, else alone."""
    rounds = data["throughput"].get("raw_socket_rounds", {}).get(kind)
    if rounds:
        return float(statistics.median(rounds))
    return float(data["limits"]["raw_socket_1_thread"][kind])


def _fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def targets(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target of issue 6 this suite can judge, met or missed, and those it cannot."""
    out: list[dict[str, Any]] = []
    acc = data["accessor"]
    out.append(
        {
            "target": f"accessor: get_redis().get(k) / global client >= {acc['target']}",
            "measured": f"{acc['ratio_vs_global_shared']:.3f} (SharedConnectionPool), "
            f"{acc['ratio_vs_global_blocking']:.3f} (BlockingConnectionPool)",
            "met": acc["met"],
        }
    )
    threads = data["meta"]["params"]["threads"]
    results = data["throughput"]["results"]
    if "ours" in results:
        worse = []
        for kind in KINDS:
            for t in threads:
                for name in results:
                    ratio = _vs_ours(data, name, kind, t)
                    if name.startswith("ours") or ratio is None:
                        continue
                    if ratio > 1:
                        worse.append(f"{kind.upper()} {t}t: {name} +{(ratio - 1) * 100:.1f}%")
        out.append(
            {
                "target": "per op: ours >= every alternative in ops/s (GET/SET, all thread counts)",
                "measured": "; ".join(worse) if worse else "ours fastest or equal everywhere",
                "met": not worse,
            }
        )
        if "naive" in results:
            ratios = [1 / (_vs_ours(data, "naive", k, t) or 1) for k in KINDS for t in threads]
            out.append(
                {
                    "target": "per op: the naive new-client-per-op pattern >= 10x slower",
                    "measured": f"{min(ratios):.1f}x to {max(ratios):.1f}x slower",
                    "met": min(ratios) >= 10,
                }
            )
        churn = []
        for kind in KINDS:
            for t in threads:
                entry = results["ours"][kind].get(str(t))
                if entry is not None:
                    churn.append(entry["connections_per_10k_ops"] <= t)
        out.append(
            {
                "target": "per op: connections opened per 10,000 ops <= threads (ours, measured "
                "rounds after warm-up)",
                "measured": ", ".join(
                    f"{k.upper()} {t}t: {results['ours'][k][str(t)]['connections_per_10k_ops']:.2f}"
                    for k in KINDS
                    for t in threads
                    if str(t) in results["ours"][k]
                ),
                "met": all(churn),
            }
        )
    out += pool_micro.targets(data)
    out += web_targets(data["web_load"])
    return out


def _web_vs_ours(group: dict[str, Any], name: str) -> float | None:
    """Median of per-round requests/s ratios against ours in the same round."""
    results = group["results"]
    if "ours" not in results or name not in results:
        return None
    pairs = zip(results[name]["rounds"], results["ours"]["rounds"], strict=True)
    return statistics.median(m["rps"] / o["rps"] for m, o in pairs if o["rps"])


def web_targets(web: dict[str, Any]) -> list[dict[str, Any]]:
    """The three web-load targets of issue 6, judged in every group."""
    if not web.get("measured"):
        return [
            {
                "target": "web load (gunicorn/uvicorn): requests/s, p50/p99, connections",
                "measured": "not measured: " + web["reason"],
                "met": None,
            }
        ]
    faster, churn, naive = [], [], []
    for key, group in web["groups"].items():
        results = group["results"]
        for name in results:
            ratio = _web_vs_ours(group, name)
            if not name.startswith("ours") and ratio is not None and ratio > 1:
                faster.append(f"{key}: {name} +{(ratio - 1) * 100:.1f}%")
        if "ours" in results:
            per_10k = results["ours"]["connections_per_10k_requests"]
            churn.append((key, per_10k, group["slots"]))
        ratio = _web_vs_ours(group, "naive")
        if ratio:
            naive.append((key, 1 / ratio))
    out = [
        {
            "target": "web: ours >= every alternative in requests/s (median of per-round ratios)",
            "measured": "; ".join(faster) if faster else "ours fastest or equal in every group",
            "met": not faster,
        },
        {
            "target": "web: ours opens <= workers x threads connections per 10,000 requests "
            "(measured rounds)",
            "measured": ", ".join(f"{k}: {v:.1f} (limit {lim})" for k, v, lim in churn),
            "met": all(v <= lim for _, v, lim in churn),
        },
    ]
    if naive:
        out.append(
            {
                "target": "web: the naive new-client-per-request view >= 10x slower than ours",
                "measured": ", ".join(f"{k}: {x:.1f}x" for k, x in naive),
                "met": min(x for _, x in naive) >= 10,
            }
        )
    return out


def web_markdown(web: dict[str, Any]) -> list[str]:
    """The web-load section: one table row per contender per group."""
    if not web.get("measured"):
        return ["", "## Web load", "", f"Not measured: {web['reason']}.", ""]
    lines = [
        "",
        "## Web load",
        "",
        f"Load generator: {web['load_generator_note']}; {web['connections']} connections, "
        f"{web['warmup_seconds']} s warm-up per contender, then {web['rounds']} interleaved "
        f"rounds of {web['seconds']} s (order rotated every round); medians of the rounds. "
        "Each app server has its own redis-server, so its connections are counted alone. "
        "Peak = highest `connected_clients` sampled every 10 ms during the measured rounds; "
        "opened per 10k = `total_connections_received` delta over the measured rounds "
        "(after warm-up) / requests x 10,000, and in brackets over the server's whole life, "
        "warm-up included. RSS: VmRSS of each worker, mean (max), MiB.",
        "",
        "| setup | contender | req/s | vs ours | p50 ms | p99 ms | peak conns "
        "| opened / 10k req | RSS after warm-up | RSS after load | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]

    def rss(values: list[float]) -> str:
        return f"{statistics.mean(values):.1f} ({max(values):.1f})" if values else "-"

    for group in web["groups"].values():
        setup = f"{group['label']} ({group['workers']} x {group['threads']} = {group['slots']})"
        for name, e in group["results"].items():
            lines.append(
                f"| {setup} | {e['label']} | {_fmt(e['rps'])} | "
                f"{_fmt(_web_vs_ours(group, name), 2)}x | {e['p50_ms']:.1f} | {e['p99_ms']:.1f} | "
                f"{e['peak_connections']} | {_fmt(e['connections_per_10k_requests'], 1)} "
                f"({_fmt(e['connections_per_10k_requests_total'], 1)}) | "
                f"{rss(e['rss_mib_after_warmup'])} | {rss(e['rss_mib_after_load'])} | "
                f"{e['errors']} |"
            )
            setup = ""
    lines.append("")
    return lines


def web_chart(data: dict[str, Any], path: Path) -> bool:
    """Horizontal bars of requests/s per contender, grouped by setup; False without matplotlib."""
    web = data["web_load"]
    if not web.get("measured"):
        return False
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    labels, values, colors = [], [], []
    palette = {"ours": "tab:green", "naive": "tab:red"}
    for group in web["groups"].values():
        for name, e in group["results"].items():
            labels.append(f"{group['label']}: {e['label']}")
            values.append(e["rps"])
            colors.append(palette.get(name, "tab:blue"))
    fig, ax = plt.subplots(figsize=(11, 0.35 * len(labels) + 1.5))
    ax.barh(range(len(labels)), values, color=colors)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(f"requests/s, median of {web['rounds']} rounds ({web['load_generator']})")
    ax.grid(axis="x", alpha=0.3)
    m = data["meta"]["machine"]
    ax.set_title(f"Web load: {m['cores']} cores, {m['cpu']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def markdown(data: dict[str, Any]) -> str:
    meta = data["meta"]
    m = meta["machine"]
    p = meta["params"]
    threads = p["threads"]
    lines = [
        "# Benchmark results",
        "",
        f"{meta['mode']} run of {meta['started']}, {meta['duration_s']} s. Every figure is the "
        f"median of {p['rounds']} interleaved rounds after a warm-up; {p['ops_per_measurement']:,} "
        f"operations per measurement ({p['naive_ops_per_measurement']:,} for the naive "
        f"pattern), a {p['payload_bytes']}-byte value, one redis-server on loopback. "
        f"Load average at start {meta['load_average_at_start']}, "
        f"at end {meta['load_average_at_end']}.",
        "",
        "| machine | |",
        "| --- | --- |",
    ]
    lines += [f"| {k} | {v if v is not None else 'not installed'} |" for k, v in m.items()]
    lines += ["", "## Targets", "", "| target | measured | status |", "| --- | --- | --- |"]
    for t in data["targets"]:
        status = {True: "met", False: "**missed**", None: "not measured"}[t["met"]]
        lines.append(f"| {t['target']} | {t['measured']} | {status} |")

    lim = data["limits"]
    lines += ["", "## Limits (the floor)", ""]
    rb = lim["redis_benchmark"]
    if rb["available"]:
        lines += [
            f"`redis-benchmark -c N -n {rb['n']} -t get,set -d 100` (C client, no GIL), "
            "and a Python loop writing RESP on a raw socket (1 thread):",
            "",
            "| | " + " | ".join(f"{c} conn" for c in rb["by_clients"]) + " |",
            "| --- |" + " --- |" * len(rb["by_clients"]),
        ]
        for kind in KINDS:
            cells = [_fmt(v.get(kind)) for v in rb["by_clients"].values()]
            lines.append(f"| redis-benchmark {kind.upper()} ops/s | " + " | ".join(cells) + " |")
    else:
        lines.append(f"redis-benchmark: not run ({rb['reason']}).")
    raw = {kind: floor(data, kind) for kind in KINDS}
    lines += [
        "",
        f"Raw-socket Python loop, 1 thread, measured inside the 1-thread throughput rounds: "
        f"GET {_fmt(raw['get'])} ops/s, SET {_fmt(raw['set'])} ops/s. Measured alone before "
        f"them: GET {_fmt(lim['raw_socket_1_thread']['get'])}, "
        f"SET {_fmt(lim['raw_socket_1_thread']['set'])}.",
    ]

    acc = data["accessor"]
    lines += [
        "",
        "## Accessor overhead (1 thread)",
        "",
        f"`get_redis().get(k)` in a loop against a module-global `redis.Redis` on the same kind of "
        f"pool; {acc['ops_per_round']:,} GETs per sample, {acc['rounds']} samples each; the ratio "
        "is the median of per-round ratios.",
        "",
        "| loop | GET ops/s |",
        "| --- | --- |",
    ]
    labels = {
        "ours": "`get_redis().get(k)`",
        "global_shared": "global client, SharedConnectionPool",
        "global_blocking": "global client, BlockingConnectionPool",
    }
    lines += [f"| {labels[k]} | {_fmt(v)} |" for k, v in acc["ops_per_s"].items()]
    lines += [
        "",
        f"Ratio: **{acc['ratio_vs_global_shared']:.3f}** vs SharedConnectionPool, "
        f"{acc['ratio_vs_global_blocking']:.3f} vs BlockingConnectionPool "
        f"(target >= {acc['target']}: {'met' if acc['met'] else 'missed'}). "
        f"From client CPU time per op instead (global / ours): "
        f"{acc['cpu_ratio_vs_global_shared']:.3f}; CPU µs per GET: "
        + ", ".join(f"{labels[k]} {v:.1f}" for k, v in acc["cpu_us_per_op"].items())
        + ".",
        "",
        "| the accessor alone | ns per call |",
        "| --- | --- |",
    ]
    lines += [f"| `{k}` | {v:.1f} |" for k, v in acc["ns_per_call"].items()]
    lines += pool_micro.markdown(data)

    tp = data["throughput"]
    contenders = data["contenders"]
    for kind in KINDS:
        lines += [
            "",
            f"## Throughput: {kind.upper()} ops/s (higher is better)",
            "",
            "| contender | "
            + " | ".join(f"{t} thr" for t in threads)
            + " | "
            + " | ".join(f"vs ours {t} thr" for t in threads)
            + " |",
            "| --- |" + " --- |" * (2 * len(threads)),
        ]
        for name in tp["results"]:
            rates = [_rate(data, name, kind, t) for t in threads]
            rel = [_fmt(_vs_ours(data, name, kind, t), 2) + "x" for t in threads]
            lines.append(
                f"| {contenders[name]['label']} | "
                + " | ".join(_fmt(r) for r in rates)
                + " | "
                + " | ".join(rel)
                + " |"
            )
        lines.append(
            f"| *floor: raw socket, 1 thread* | {_fmt(raw[kind])} |" + " |" * (2 * len(threads) - 1)
        )
    lines += [
        "",
        '"vs ours" is the median of per-round ratios (each round\'s figure over ours from the '
        "same round), which a busy spell on the machine disturbs less than a ratio of medians.",
        "",
        "## Client CPU per operation (µs, lower is better)",
        "",
        "Process CPU time over the measured run divided by operations: what the client costs, "
        "without the waiting, and barely moved by other load on the machine.",
        "",
        "| contender | "
        + " | ".join(f"{k.upper()} {t} thr" for k in KINDS for t in threads)
        + " |",
        "| --- |" + " --- |" * (len(KINDS) * len(threads)),
    ]
    for name, by_kind in tp["results"].items():
        cells = [
            _fmt(by_kind[k][str(t)]["cpu_us_per_op"], 1) if str(t) in by_kind[k] else "-"
            for k in KINDS
            for t in threads
        ]
        lines.append(f"| {contenders[name]['label']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Connections opened at the server per 10,000 ops",
        "",
        "`INFO stats total_connections_received` around each measured run (after the warm-up), "
        "GET and SET together.",
        "",
        "| contender | " + " | ".join(f"{t} thr" for t in threads) + " |",
        "| --- |" + " --- |" * len(threads),
    ]
    for name, by_kind in tp["results"].items():
        cells = []
        for t in threads:
            entries = [by_kind[k].get(str(t)) for k in KINDS]
            entries = [e for e in entries if e]
            opened = sum(e["connections_opened"] for e in entries)
            ops = sum(e["ops"] for e in entries)
            cells.append(_fmt(opened * 10_000 / ops if ops else None, 1))
        lines.append(f"| {contenders[name]['label']} | " + " | ".join(cells) + " |")
    if tp["skipped"]:
        lines += ["", "Skipped:"]
        lines += [f"- {contenders[n]['label']}: {r}" for n, r in tp["skipped"].items()]

    mem = data["memory"]
    lines += [
        "",
        "## Memory",
        "",
        "One idle pooled connection (connections opened in one pool and returned, measured in a "
        "fresh process):",
        "",
        "| pool | connections | RSS bytes / connection | Python heap bytes / connection |",
        "| --- | --- | --- | --- |",
    ]
    for kind, e in mem["idle_connection"].items():
        if "error" in e:
            lines.append(f"| {kind} | error: {e['error']} | | |")
            continue
        lines.append(
            f"| {kind} | {e['connections']} | {_fmt(e['rss_bytes_per_connection'])} | "
            f"{_fmt(e.get('python_bytes_per_connection'))} |"
        )
    lines += [
        "",
        f"A process holding each contender, after {mem['threads']} threads ran GETs and SETs "
        "(each in a fresh process that imported the same modules):",
        "",
        "| contender | RSS after imports (MiB) | RSS after load (MiB) | growth (KiB) | peak (MiB) "
        "| connections held |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, e in mem["after_load"].items():
        label = contenders[name]["label"]
        if "skipped" in e or "error" in e:
            lines.append(f"| {label} | {e.get('skipped') or e.get('error')} | | | | |")
            continue
        mib = [e[k] / 1024 for k in ("rss_kib_imports", "rss_kib_after_load", "peak_rss_kib")]
        lines.append(
            f"| {label} | {mib[0]:.1f} | {mib[1]:.1f} | {_fmt(e['growth_kib'])} | {mib[2]:.1f} "
            f"| {e['connections_held']} |"
        )
    lines += web_markdown(data["web_load"])
    return "\n".join(lines)


def chart(data: dict[str, Any], path: Path) -> bool:
    """Grouped bars of ops/s per contender and thread count; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    threads = data["meta"]["params"]["threads"]
    names = list(data["throughput"]["results"])
    fig, axes = plt.subplots(1, 2, figsize=(13, 5), sharey=True)
    width = 0.8 / max(len(names), 1)
    for ax, kind in zip(axes, KINDS, strict=True):
        for i, name in enumerate(names):
            values = [_rate(data, name, kind, t) or 0 for t in threads]
            xs = [j + (i - (len(names) - 1) / 2) * width for j in range(len(threads))]
            ax.bar(xs, values, width, label=data["contenders"][name]["label"])
        level = floor(data, kind)
        ax.axhline(level, color="black", linestyle="--", linewidth=1)
        ax.text(-0.45, level, "raw-socket Python loop, 1 thread", va="bottom", fontsize=8)
        ax.set_xticks(range(len(threads)), [f"{t} thread(s)" for t in threads])
        ax.set_title(f"{kind.upper()} of a 100-byte value")
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("ops/s (median of rounds)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    m = data["meta"]["machine"]
    fig.suptitle(
        f"{m['cores']} cores, {m['cpu']}, Python {m['python']}, redis-py {m['redis-py']}, "
        f"hiredis {m['hiredis']}, redis-server {m['redis-server'].split()[0]}",
        fontsize=9,
    )
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def summary(data: dict[str, Any]) -> str:
    lines = ["", "targets:"]
    for t in data["targets"]:
        status = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
        lines.append(f"  [{status}] {t['target']}: {t['measured']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Rewrite results.md and throughput.png from results.json: ``python -m benchmarks.report``."""
    import argparse
    import json

    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument(
        "json", type=Path, nargs="?", default=Path(__file__).parent / "results/results.json"
    )
    args = p.parse_args(argv)
    data = json.loads(args.json.read_text())
    data["targets"] = targets(data)
    args.json.write_text(json.dumps(data, indent=2) + "\n")
    (args.json.parent / "results.md").write_text(markdown(data))
    chart(data, args.json.parent / "throughput.png")
    web_chart(data, args.json.parent / "web_load.png")
    print(summary(data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
