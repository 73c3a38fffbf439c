"""The multi-host test's pure helpers (bench/multihost): its addresses stay in the benchmarking range, its cleanup
removes only what carries its prefix, and its verdict fails on any wrong figure. The run itself is `make multihost`."""

import ipaddress
from datetime import datetime

import pytest

from bench.multihost import lock, mail, net, run, servers

BENCHMARK = ipaddress.ip_network("198.18.0.0/15")


@pytest.fixture(autouse=True)
def _own_lock_file(monkeypatch, tmp_path):
    """Never the machine's lock: a real run beside the tests neither blocks them nor is blocked."""
    monkeypatch.setattr(lock, "LOCK_PATH", tmp_path / "ustmh.lock")


def test_every_address_of_a_run_is_in_the_range_reserved_for_benchmarks():
    hosts = net.plan(("a", "b", "c"))
    addresses = [net.bridge_address(), *(h.address for h in hosts)]

    assert all(ipaddress.ip_address(address) in BENCHMARK for address in addresses)
    assert len(set(addresses)) == len(addresses)  # the bridge and each host: one address each


def test_an_address_outside_the_range_or_the_subnet_is_refused():
    with pytest.raises(ValueError):
        net.host_address(1, ipaddress.ip_network("10.0.0.0/24"))
    with pytest.raises(ValueError):
        net.host_address(1, ipaddress.ip_network("198.20.0.0/24"))  # just past 198.19.255.255
    with pytest.raises(ValueError):
        net.host_address(254)  # the /24's broadcast address
    with pytest.raises(ValueError):
        net.host_address(-1)


def test_names_carry_the_prefix_and_fit_linux_interface_names():
    for host in net.plan(("a", "b")):
        assert net.ours([host.netns, host.veth_root, host.veth_host]) == [host.netns, host.veth_root, host.veth_host]
        assert len(host.veth_root) <= 15 and len(host.veth_host) <= 15
    with pytest.raises(ValueError):
        net.plan(("a-very-long-host-name",))


def test_only_our_names_are_picked_for_removal():
    names = ["lo", "eth0", "ifb0", "docker0", "ustmh0", "ustmh-a", "ustmh-b0", "ustmhx", "ustmhfoo", "my-ustmh-a"]

    assert net.ours(names) == ["ustmh0", "ustmh-a", "ustmh-b0"]


def test_cleanup_deletes_our_namespaces_and_links_and_nothing_else(monkeypatch):
    calls = []
    monkeypatch.setattr(net, "_netns_names", lambda: ["ustmh-a", "ustmh-b", "other-ns"])
    monkeypatch.setattr(net, "_link_names", lambda: ["lo", "eth0", "ustmh0", "ustmh-a0", "br-lan"])
    monkeypatch.setattr(net, "kill_netns_processes", lambda netns: calls.append(("kill", netns)))

    class Done:
        returncode = 0

    monkeypatch.setattr(net, "_ip", lambda *args, check=True: calls.append(args) or Done())

    removed = net.remove_ours()

    assert removed == ["ustmh-a", "ustmh-b", "ustmh0", "ustmh-a0"]
    assert ("kill", "other-ns") not in calls
    deleted = [call[-1] for call in calls if call[0] != "kill"]
    assert deleted == ["ustmh-a", "ustmh-b", "ustmh0", "ustmh-a0"]


def test_a_host_command_runs_in_its_namespace_pinned_when_asked():
    host = net.plan()[0]

    assert net.in_netns(host, ["gunicorn"], cpu=0) == ["ip", "netns", "exec", "ustmh-a", "taskset", "-c", "0", "gunicorn"]
    assert net.in_netns(host, ["celery"]) == ["ip", "netns", "exec", "ustmh-a", "celery"]


def test_the_proxy_listens_on_loopback_and_the_bridge_only(tmp_path):
    config = servers.haproxy_config(http_port=18080, nodes={h.name: h.address for h in net.plan()}, node_port=8000,
                                    bridge=net.bridge_address(), stats_socket=tmp_path / "s.sock")
    binds = [line.split()[1] for line in config.splitlines() if line.strip().startswith("bind ")]

    assert binds == ["127.0.0.1:18080", "198.18.0.1:5432"]
    servers_to = [line.split()[2] for line in config.splitlines() if line.strip().startswith("server ")]
    assert servers_to == ["198.18.0.2:8000", "198.18.0.3:8000", "127.0.0.1:5432"]
    assert "option httpchk" in config and "uri /healthz" in config and "option forwardfor" in config


def _passing() -> dict:
    result = dict(run.CHECKS)
    result.update(beat_takeover_s=4.0, beat_lock_s=10)
    return result


def test_the_verdict_passes_only_when_every_figure_is_right():
    assert run.failures(_passing()) == []
    for name, wrong in [("overbooked", 1), ("mail_lost", 3), ("session_on_b", False), ("download_other_b", 200),
                        ("beat_doubled_runs", 2), ("beat_single_sender", False), ("beat_takeover_s", None),
                        ("beat_takeover_s", 60.0)]:
        result = {**_passing(), name: wrong}
        assert [f for f in run.failures(result) if f.startswith(f"{name}=")], name
    missing = _passing()
    del missing["mail_received_distinct"]
    assert run.failures(missing)  # a check that never ran fails too


def test_a_check_whose_precondition_did_not_hold_fails_the_run():
    """Not vacuous: one beat alone, a cut after the last mail, a run on one node, a namespace with a way out."""
    for name, wrong in [("beats_alive_at_cut", False), ("beat_standby_said_before_cut", False),
                        ("beat_guard", "missing"), ("mail_both_sent_before_cut", False), ("mail_cut_mid_run", False),
                        ("mail_cut_host_left_claims", False), ("rush_two_on_both", False),
                        ("rush_one_on_a_alone", False), ("default_routes", 1), ("anonymous_refused_b", False),
                        ("lookup_refused_on_other", False)]:
        result = {**_passing(), name: wrong}
        assert [f for f in run.failures(result) if f.startswith(f"{name}=")], name


def test_a_standby_beat_is_read_from_its_log(tmp_path):
    log = tmp_path / "beat-b.log"
    log.write_text("[2026-12-05 03:51:40,001: INFO/MainProcess] beat: Starting...\n"
                   "[2026-12-05 03:51:41,250: INFO/MainProcess] Beat vm:1:ab stands by: vm:2:cd leads.\n")

    assert mail.log_times(log, mail.BEAT_STANDS_BY) == [datetime(2026, 12, 5, 3, 51, 41, 250000)]


def test_each_mail_is_credited_to_the_host_it_came_from():
    hosts = net.plan()
    received = [("<1@x>", ("s1@p.example",), "198.18.0.2"), ("<2@x>", ("s2@p.example",), "198.18.0.3"),
                ("<3@x>", ("s3@p.example",), "198.18.0.3"), ("<9@x>", ("s9@p.example",), "198.18.0.3"),
                ("<4@x>", ("s4@p.example",), "127.0.0.1")]

    assert mail.senders(received, {"<1@x>", "<2@x>", "<3@x>", "<4@x>"}, hosts) == {"a": 1, "b": 2}


def test_beat_sends_are_read_from_the_beat_log(tmp_path):
    log = tmp_path / "beat.log"
    log.write_text(
        "[2026-12-05 03:51:42,966: INFO/MainProcess] Scheduler: Sending due task relay-queued-mail (x)\n"
        "[2026-12-05 03:51:43,100: INFO/MainProcess] Scheduler: Sending due task relay-staff-jobs (y)\n"
        "[2026-12-05 03:51:47,977: INFO/MainProcess] Scheduler: Sending due task relay-queued-mail (x)\n"
    )

    assert mail.beat_sends(log) == [datetime(2026, 12, 5, 3, 51, 42, 966000), datetime(2026, 12, 5, 3, 51, 47, 977000)]
    assert mail.beat_sends(tmp_path / "missing.log") == []


def test_distinct_message_ids_are_counted_per_recipient_of_ours():
    received = [("<1@x>", ("s1@partner.example",), "198.18.0.2"), ("<1@x>", ("s1@partner.example",), "198.18.0.3"),
                ("<2@x>", ("s2@partner.example",), "198.18.0.2"), ("<9@x>", ("someone@else.example",), "198.18.0.3")]

    found = mail.ids_by_recipient(received, {"s1@partner.example", "s2@partner.example"})

    assert found == {"s1@partner.example": {"<1@x>"}, "s2@partner.example": {"<2@x>"}}


def test_a_machine_without_namespaces_fails_with_a_clear_message_never_skips(monkeypatch, capsys):
    import json
    import subprocess

    monkeypatch.setattr(run.shutil, "which", lambda tool: f"/usr/bin/{tool}")
    monkeypatch.setattr(net, "_ip", lambda *args, check=True: subprocess.CompletedProcess(
        args, 1, "", "mount --make-shared /run/netns failed: Operation not permitted"))

    assert run.main() == 2
    line = json.loads(capsys.readouterr().out)
    assert line["ok"] is False and "not permitted" in line["failed_checks"][0]


HOLDER = """
import sys
from pathlib import Path
from bench.multihost import lock
fd = lock.acquire(Path(sys.argv[1]), wait=0)
print("held", flush=True)
sys.stdin.readline()  # until the test says so (or closes the pipe)
lock.release(fd)
"""


def _holder(path):
    """Another process holding the lock on ``path``, released when its stdin closes."""
    import subprocess
    import sys
    from pathlib import Path

    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, cwd=Path(__file__).resolve().parents[2])
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_run_fails_naming_the_holder_while_another_holds_the_lock(tmp_path):
    path = tmp_path / "ustmh.lock"
    holder = _holder(path)
    try:
        with pytest.raises(lock.Busy) as refused:
            lock.acquire(path, wait=0.3, every=0.05)
        assert f"pid {holder.pid}" in str(refused.value)
    finally:
        holder.communicate("\n", timeout=20)
    fd = lock.acquire(path, wait=0)  # released: the next run gets it at once
    lock.release(fd)


def test_a_second_run_waits_and_gets_the_lock_once_the_first_releases_it(tmp_path):
    import threading

    path = tmp_path / "ustmh.lock"
    holder = _holder(path)
    waiting = threading.Event()

    def release_when_waited_on(message):
        waiting.set()
        holder.communicate("\n", timeout=20)

    fd = lock.acquire(path, wait=60, every=0.05, log=release_when_waited_on)  # it waits, it does not fail

    assert waiting.is_set() and holder.returncode == 0
    assert path.read_text() == str(__import__("os").getpid())  # the new holder's pid, for the next one's message
    lock.release(fd)


def test_a_killed_holder_never_blocks_the_next_run(tmp_path):
    path = tmp_path / "ustmh.lock"
    holder = _holder(path)
    holder.kill()
    holder.wait(timeout=20)

    lock.release(lock.acquire(path, wait=5))


def test_while_another_run_holds_the_lock_nothing_is_cleaned_up_or_built(monkeypatch, capsys, tmp_path):
    import json

    touched = []
    monkeypatch.setattr(run.shutil, "which", lambda tool: f"/usr/bin/{tool}")
    monkeypatch.setattr(lock, "WAIT_SECONDS", 0.2)
    monkeypatch.setattr(net, "_ip", lambda *args, check=True: touched.append(args))
    monkeypatch.setattr(net, "remove_ours", lambda: touched.append("remove_ours") or [])
    monkeypatch.setattr(run, "kill_recorded_servers", lambda: touched.append("kill_recorded_servers"))
    holder = _holder(lock.LOCK_PATH)
    try:
        assert run.main() == 2
    finally:
        holder.communicate("\n", timeout=20)

    line = json.loads(capsys.readouterr().out)
    assert line["ok"] is False and f"pid {holder.pid}" in line["failed_checks"][0]
    assert touched == []  # no probe namespace, no leftovers' removal, no kill of the other run's servers


def test_cleanup_goes_on_past_a_failing_step_and_always_removes_the_namespaces(monkeypatch, tmp_path):
    from bench.multihost import cluster as cluster_module

    calls = []

    class Stubborn:
        pid = 1

        def poll(self):
            return None

    def stop(proc, grace=5):
        calls.append(("stop", proc))
        if isinstance(proc, Stubborn):
            raise cluster_module.subprocess.TimeoutExpired("gunicorn", 5)

    monkeypatch.setattr(cluster_module, "stop", stop)
    monkeypatch.setattr(net, "kill_netns_processes", lambda netns: calls.append(("kill", netns)))
    monkeypatch.setattr(net, "remove_ours", lambda: calls.append("remove_ours") or [])
    monkeypatch.setattr(cluster_module, "STATE_FILE", tmp_path / "pids")
    cluster = cluster_module.Cluster(tmp_path)
    stubborn, proxy = Stubborn(), object()
    cluster.node_procs["a"] = [stubborn]
    cluster.root_servers = [proxy]

    cluster.close()

    assert ("stop", stubborn) in calls and ("stop", proxy) in calls  # the proxy is stopped after the failure
    assert ("kill", "ustmh-a") in calls and ("kill", "ustmh-b") in calls
    assert calls[-1] == "remove_ours"
