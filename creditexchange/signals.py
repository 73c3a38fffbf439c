"""The cached static part of an offering (``selectors.offering_static``: department, campus, time slots) is dropped by
every write of those rows: admin (the offering page and its slot inline, departments, campuses), the import and
``offering_save`` (their slots through ``services.offerings._slots_replace``, whose bulk insert sends no signal, so it
drops the entry itself), the demo loader. Publishing writes only the offering's own row, which a click reads fresh."""

from django.db.models.signals import post_delete, post_save

from academics.models import Campus, Department

from .models import CourseOffering, TimeSlot
from .selectors import forget_offering_static


def _offering_written(sender, instance, **kwargs) -> None:
    forget_offering_static([instance.pk])


def _slot_written(sender, instance, **kwargs) -> None:
    forget_offering_static([instance.offering_id])


def _place_written(sender, instance, **kwargs) -> None:
    field = "department" if sender is Department else "campus"
    forget_offering_static(CourseOffering.objects.filter(**{field: instance.pk}).values_list("pk", flat=True))


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(_offering_written, sender=CourseOffering, dispatch_uid="offering-static-offering")
        signal.connect(_slot_written, sender=TimeSlot, dispatch_uid="offering-static-slot")
        signal.connect(_place_written, sender=Department, dispatch_uid="offering-static-department")
        signal.connect(_place_written, sender=Campus, dispatch_uid="offering-static-campus")
