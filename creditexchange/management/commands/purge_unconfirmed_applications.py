from django.core.management.base import BaseCommand

from creditexchange.services import applications_purge_unconfirmed


class Command(BaseCommand):
    help = "Delete applications whose e-mail address was not confirmed in time."

    def handle(self, *args, **options):
        self.stdout.write(f"purged={applications_purge_unconfirmed()}")
