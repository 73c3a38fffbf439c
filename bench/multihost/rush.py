"""The registration rush through HAProxy, on node A alone and on both nodes (bench/rush.py's seed and wrk script)."""

import json
import os
import subprocess
import time

from . import net
from .cluster import DB_NAME, DURATION, Cluster, Failed, log, wait_for


def run_wrk(cluster: Cluster, mode: str, seeded, duration: str) -> dict:
    from bench import rush

    script = cluster.tmp / f"{mode}.lua"
    script.write_text(rush.LUA % {
        "mode": mode, "sessions_file": cluster.tmp / "sessions.txt", "csrf": rush.CSRF_SECRET,
        "offerings": ", ".join(str(pk) for pk in seeded.offering_ids), "term": seeded.term_id,
        "drops_file": cluster.tmp / "drops.txt",
    })
    command = ["wrk", "-t2", "-c64", f"-d{duration}", "--timeout", "10s", "-s", str(script),
               f"http://127.0.0.1:{cluster.http_port}"]
    before = proxy_counters(cluster)
    with CpuMeter(cluster) as cpu:
        out = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    settle(cluster)
    result = json.loads(next(line for line in reversed(out.splitlines()) if line.startswith("{")))
    result["cpu_cores"] = cpu.figures
    after = proxy_counters(cluster)
    result["proxy"] = {name: after[name] - before[name] for name in after}
    log(f"wrk[{mode}]", json.dumps(result))
    return result


def proxy_counters(cluster: Cluster) -> dict[str, int]:
    """HAProxy's own view: 5xx it answered itself (no node up) or passed on from a node, and health-check downs."""
    stats = cluster.proxy_stats()
    servers_ = [values for (proxy, server), values in stats.items() if proxy == "nodes" and server not in
                ("FRONTEND", "BACKEND")]
    node_5xx = sum(int(v.get("hrsp_5xx") or 0) for v in servers_)
    frontend_5xx = int(stats.get(("portal", "FRONTEND"), {}).get("hrsp_5xx") or 0)
    served = {server: sum(int(values.get(f"hrsp_{n}xx") or 0) for n in range(1, 6))
              for (proxy, server), values in stats.items() if proxy == "nodes" and server not in ("FRONTEND", "BACKEND")}
    return {"node_5xx": node_5xx, "proxy_own_5xx": frontend_5xx - node_5xx,
            "node_downs": sum(int(v.get("chkdown") or 0) for v in servers_),
            **{f"served_{server}": count for server, count in served.items()}}


def settle(cluster: Cluster) -> None:
    """wrk has stopped; the requests the nodes had already accepted finish before the database is read or reset."""
    def idle() -> bool:
        stats = cluster.proxy_stats()
        return all(int(values.get("scur") or 0) == 0 for (proxy, server), values in stats.items()
                   if proxy == "nodes" and server not in ("FRONTEND", "BACKEND"))

    wait_for("the nodes' requests finished", idle, timeout=20)
    time.sleep(0.5)  # a request's transaction commits after its answer is written


class CpuMeter:
    """Cores used during a run: by the whole machine, by the test's own processes (everything in the hosts'
    namespaces, HAProxy, the test database's PostgreSQL backends, wrk) and by anything else (another session's
    work makes the figures unrepresentative; it is printed, not hidden)."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster

    def _ours(self) -> dict[int, int]:
        from bench import rush

        pids = {pid for host in self.cluster.hosts for pid in net.netns_pids(host.netns)}
        pids |= {proc.pid for proc in self.cluster.root_servers}
        return {pid: ticks for pid, (cmd, _ppid, ticks) in rush._proc_ticks().items()
                if pid in pids or f" {DB_NAME} " in cmd}

    def __enter__(self):
        from bench import rush

        self.t0, self.children0 = time.monotonic(), os.times()
        self.busy0, _steal = rush._system_ticks()
        self.ours0 = self._ours()
        return self

    def __exit__(self, *exc):
        from bench import rush

        hz, elapsed, children = os.sysconf("SC_CLK_TCK"), time.monotonic() - self.t0, os.times()
        busy, _steal = rush._system_ticks()
        ours = sum(t - self.ours0.get(pid, 0) for pid, t in self._ours().items()) / hz
        ours += children.children_user + children.children_system - self.children0.children_user \
            - self.children0.children_system  # wrk
        total = (busy - self.busy0) / hz
        self.figures = {"machine": round(total / elapsed, 2), "ours": round(ours / elapsed, 2),
                        "other": round(max(total - ours, 0.0) / elapsed, 2)}
        return False


def reset_registrations() -> None:
    from django.db import connection, transaction

    from bench import rush
    from creditexchange.models import CourseOffering, CourseRegistration, RegistrationEvent

    with transaction.atomic():
        RegistrationEvent.objects.all().delete()
        CourseRegistration.objects.all().delete()
        CourseOffering.objects.update(seats_taken=0, capacity=rush.CAPACITY, waiting=0)
    if CourseRegistration.objects.exists():  # a request still running committed after the reset (settle() waits)
        raise Failed("a registration was committed after the reset between the rush runs")
    connection.close()
    time.sleep(2.5)  # the web processes keep a term's windows and counts two seconds (core.cache_prefetch)


def rush_runs(cluster: Cluster, seeded) -> dict:
    """The registration rush through HAProxy: node A alone (B disabled in the proxy), then both nodes."""
    from bench import rush

    assert rush.CSRF_SECRET
    (cluster.tmp / "sessions.txt").write_text("\n".join(seeded.session_keys) + "\n")
    run_wrk(cluster, "ping", seeded, "2s")  # warm-up of both nodes, not counted
    cluster.proxy("disable server nodes/b")
    time.sleep(1)
    one = run_wrk(cluster, "register", seeded, DURATION)
    one_checks = rush.database_checks()
    reset_registrations()
    cluster.proxy("enable server nodes/b")
    wait_for("node b back in the proxy", lambda: cluster.proxy_states().get("b") == "UP", timeout=15)
    two = run_wrk(cluster, "register", seeded, DURATION)
    two_checks = rush.database_checks()
    log("database after the one-node rush:", json.dumps(one_checks), "after the two-node rush:", json.dumps(two_checks))
    ratio = round(two["rps"] / one["rps"], 2) if one["rps"] else 0.0
    return {
        "rush_one_rps": round(one["rps"], 1), "rush_two_rps": round(two["rps"], 1), "rush_ratio": ratio,
        "rush_one_p95_ms": round(one["p95_ms"], 1), "rush_two_p95_ms": round(two["p95_ms"], 1),
        "rush_one_cpu": one["cpu_cores"], "rush_two_cpu": two["cpu_cores"],
        # HAProxy's answers per node: the one-node run really on A alone, the two-node run really on both.
        "rush_one_served": {n: one["proxy"].get(f"served_{n}", 0) for n in ("a", "b")},
        "rush_two_served": {n: two["proxy"].get(f"served_{n}", 0) for n in ("a", "b")},
        "rush_one_on_a_alone": one["proxy"].get("served_a", 0) > 0 and one["proxy"].get("served_b", 0) == 0,
        "rush_two_on_both": two["proxy"].get("served_a", 0) > 0 and two["proxy"].get("served_b", 0) > 0,
        "overbooked": one_checks["overbooked"] + two_checks["overbooked"],
        "duplicates": one_checks["duplicates"] + two_checks["duplicates"],
        "over_credit_limit": one_checks["over_credit_limit"] + two_checks["over_credit_limit"],
        "seats_filled": [one_checks["seats_filled"], two_checks["seats_filled"]],
        # Errors: a node's 5xx other than the admission queue's busy answer, and any 5xx HAProxy gave itself (no
        # node up). A busy 503 is the portal's designed answer to more clicks than a node's CPU serves within
        # ADMISSION_WAIT_SECONDS (`make bench` measures that); here it is a figure, since the nodes share two cores
        # with PostgreSQL, wrk and whatever else runs on the machine.
        "errors_5xx": sum(r["errors_5xx"] + r["proxy"]["proxy_own_5xx"] for r in (one, two)),
        "busy_503": [one["status_503"], two["status_503"]],
        "rush_not_2xx": one["status_3xx"] + one["status_4xx"] + two["status_3xx"] + two["status_4xx"],
        "rush_5xx_detail": {run: {"503": r["status_503"], "other_5xx": r["errors_5xx"], **r["proxy"]}
                            for run, r in (("one", one), ("two", two))},
    }

