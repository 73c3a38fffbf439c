"""Django's Redis cache with one redis-py client per connection pool, instead of a new client object per call.

Django's ``RedisCacheClient.get_client`` builds a ``redis.Redis`` on every cache read and write; on the 09:00 click
that construction cost as much CPU as the round trip itself (bench/README.md). A client is a thin, thread-safe
wrapper over its pool (connections are taken from the pool per command), so one per pool is enough.
"""

from django.core.cache.backends import redis as django_redis


class _ClientPerPool(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ClientPerPool
