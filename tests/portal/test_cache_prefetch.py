"""core.cache.cache_prefetch (issue 14): several keys in one round trip for a block, optionally kept in the process
for a second or two; this process's own writes and deletes are seen at once, another process's that late."""

from unittest import mock

from django.core.cache import cache

from core import cache as core_cache
from core.cache import cache_forget, cache_get, cache_prefetch, cache_set


def test_inside_the_block_the_keys_are_read_once():
    cache.set("a", 1)
    with mock.patch.object(cache, "get_many", wraps=cache.get_many) as get_many:
        with cache_prefetch(["a", "b"]):
            with mock.patch.object(cache, "get", side_effect=AssertionError("asked the cache again")):
                assert (cache_get("a"), cache_get("b"), cache_get("b")) == (1, None, None)
                cache_set("b", 2, 60)
                assert cache_get("b") == 2
                cache_forget(["a"])
                assert cache_get("a") is None
        assert get_many.call_count == 1
    assert cache_get("b") == 2 and cache_get("a") is None


def test_local_copies_last_their_seconds_and_this_process_s_writes_drop_them():
    cache.set("windows", "v1")
    clock = [1000.0]
    with mock.patch.object(core_cache.time, "monotonic", lambda: clock[0]):
        with cache_prefetch(["windows"], local_seconds=2):
            assert cache_get("windows") == "v1"
        cache.set("windows", "v2")  # another process's write: this process does not hear of it
        with cache_prefetch(["windows"], local_seconds=2):
            assert cache_get("windows") == "v1"
        clock[0] += 2.5
        with cache_prefetch(["windows"], local_seconds=2):
            assert cache_get("windows") == "v2"
        cache_forget(["windows"])  # this process's own delete: seen at once
        with cache_prefetch(["windows"], local_seconds=2):
            assert cache_get("windows") is None


def test_an_unreachable_cache_is_a_miss_for_every_key():
    with mock.patch.object(cache, "get_many", side_effect=ConnectionError("down")):
        with cache_prefetch(["a", "b"], local_seconds=2) as found:
            assert found == {} and cache_get("a") is None


def test_known_values_are_answered_without_asking_or_writing_the_cache():
    with mock.patch.object(cache, "get_many", wraps=cache.get_many) as get_many:
        with cache_prefetch(["a"], known={"yes": True}):
            with mock.patch.object(cache, "get", side_effect=AssertionError("asked the cache again")):
                assert cache_get("yes") is True and cache_get("a") is None
        assert get_many.call_args.args == (["a"],)
    assert cache.get("yes") is None
