from datetime import datetime

from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import dates
from core.cache import cache_forget
from core.language import bilingual


class BilingualName(models.Model):
    """Names are kept per language (name_ko, name_en); ``name`` follows the active language."""

    name_ko = models.CharField(_("name (Korean)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return bilingual(self.name_ko, self.name_en)


class Institution(BilingualName):
    class Kind(models.TextChoices):
        HOST = "host", _("Host university")
        PARTNER = "partner", _("Partner university")

    class VerificationBasis(models.TextChoices):
        APPLICATION = "application", _("After application")
        REGISTRATION = "registration", _("After course registration")

    class MailLanguage(models.TextChoices):
        KO = "ko", _("Korean")
        EN = "en", _("English")

    code = models.SlugField(_("code"), max_length=30, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PARTNER)
    agreement_active = models.BooleanField(
        _("agreement active"), default=True, help_text=_("Only partners with an active agreement accept applications.")
    )
    mail_language = models.CharField(_("mail language"), max_length=2, choices=MailLanguage.choices, default="ko")
    verification_basis = models.CharField(
        _("verification basis"),
        max_length=15,
        choices=VerificationBasis.choices,
        default=VerificationBasis.APPLICATION,
        help_text=_("When the partner verifies its students: after application or after course registration."),
    )

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["kind", "name_ko"]
        constraints = [
            models.UniqueConstraint(fields=["kind"], condition=Q(kind="host"), name="institution_single_host"),
        ]


class InstitutionContact(models.Model):
    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("institution")
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("coordinator contact")
        verbose_name_plural = _("coordinator contacts")
        constraints = [models.UniqueConstraint(fields=["institution", "email"], name="contact_unique_email")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


class Campus(BilingualName):
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="campuses", verbose_name=_("institution")
    )
    code = models.SlugField(_("code"), max_length=30, unique=True)
    is_main = models.BooleanField(_("main campus"), default=False)

    class Meta:
        verbose_name = _("campus")
        verbose_name_plural = _("campuses")
        ordering = ["-is_main", "name_ko"]


class College(BilingualName):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    excluded_from_affiliation_change = models.BooleanField(
        _("excluded from change of affiliation"), default=False, help_text=_("For example medicine and education.")
    )

    class Meta:
        verbose_name = _("college")
        verbose_name_plural = _("colleges")
        ordering = ["name_ko"]


class Department(BilingualName):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    college = models.ForeignKey(College, on_delete=models.PROTECT, related_name="departments", verbose_name=_("college"))
    campus = models.ForeignKey(Campus, on_delete=models.PROTECT, related_name="departments", verbose_name=_("campus"))

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["campus", "name_ko"]


class Season(models.TextChoices):
    """The seasons of the academic year, declared in their academic order (spring, summer, fall, winter)."""

    SPRING = "spring", _("Spring")
    SUMMER = "summer", _("Summer")
    FALL = "fall", _("Fall")
    WINTER = "winter", _("Winter")


SEASONS_IN_ORDER = tuple(Season.values)


def season_rank(season: str) -> int:
    """The season's place in the academic year: spring 0 … winter 3 (the one order of seasons, SPEC §1)."""
    return SEASONS_IN_ORDER.index(season)


def season_position() -> models.Case:
    """:func:`season_rank` as an SQL expression (stored in ``Term.season_order``, which ordering uses)."""
    return models.Case(
        *(models.When(season=season, then=models.Value(n)) for n, season in enumerate(SEASONS_IN_ORDER)),
        output_field=models.IntegerField(),
    )


class TermQuerySet(models.QuerySet):
    def chronological(self, *, newest_first: bool = True) -> "TermQuerySet":
        """Year, then season in the academic calendar (spring, summer, fall, winter), not alphabetically."""
        position = models.F("season_order")
        order = (models.F("year").desc(), position.desc()) if newest_first else (models.F("year").asc(), position.asc())
        return self.order_by(*order)


class Term(models.Model):
    Season = Season

    year = models.PositiveSmallIntegerField(_("year"))
    season = models.CharField(_("season"), max_length=10, choices=Season.choices)
    # The season's place in the year as a column the database computes, so that every ordering of terms
    # (this model's, and a related model's that orders by its term) is academic; Django cannot follow a
    # Case expression in Meta.ordering through a relation.
    season_order = models.GeneratedField(
        expression=season_position(), output_field=models.PositiveSmallIntegerField(), db_persist=True,
        verbose_name=_("season order"),
    )
    credit_limit = models.PositiveSmallIntegerField(
        _("credit limit for exchange students"), default=12,
        help_text=_("Most credits one exchange student may register for in this term."),
    )

    class WaitlistMode(models.TextChoices):
        AUTO = "auto", _("Register the next student automatically")
        OFFER = "offer", _("Offer the seat by mail with a claim deadline")

    waitlist_mode = models.CharField(
        _("waitlist mode"), max_length=8, choices=WaitlistMode.choices, default=WaitlistMode.AUTO,
        help_text=_("What happens at a release time when a seat is free and a student is waiting for it."),
    )

    objects = TermQuerySet.as_manager()

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["-year", "-season_order"]  # newest first, in academic order
        constraints = [
            models.UniqueConstraint(fields=["year", "season"], name="term_unique_year_season"),
            models.CheckConstraint(condition=Q(year__gte=2000, year__lte=2100), name="term_year_range"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_season_display()}"

    @property
    def academic_key(self) -> tuple[int, int]:
        """Sort key in academic order: ``sorted(terms, key=lambda t: t.academic_key)`` is oldest first."""
        return (self.year, season_rank(self.season))

    def window(self, kind: str) -> "TermWindow | None":
        for window in self.windows.all():
            if window.kind == kind:
                return window
        return None


WINDOWS_CACHE_SECONDS = 60


def term_windows_cache_key(term_id: int) -> str:
    return f"term-windows:v1:{term_id}"


def forget_term_windows(term_ids) -> None:
    """Drop cached windows (academics.selectors.term_windows) now and again when the transaction commits."""
    keys = [term_windows_cache_key(term_id) for term_id in set(term_ids)]
    if keys:
        cache_forget(keys)
        transaction.on_commit(lambda: cache_forget(keys))


class TermWindowQuerySet(models.QuerySet):
    # Bulk writes bypass save()/delete(), so they clear the cached windows themselves.
    def update(self, **kwargs):
        term_ids = list(self.values_list("term_id", flat=True))
        count = super().update(**kwargs)
        forget_term_windows(term_ids + ([kwargs["term"].pk] if "term" in kwargs else []))
        return count

    def delete(self):
        term_ids = list(self.values_list("term_id", flat=True))
        result = super().delete()
        forget_term_windows(term_ids)
        return result

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        forget_term_windows(o.term_id for o in created)
        return created


class TermWindow(models.Model):
    """A half-open interval [starts_at, ends_at) in which one kind of write is allowed."""

    class Kind(models.TextChoices):
        APPLICATION = "application", _("Temporary student ID application")
        COURSE_OPENING = "course_opening", _("Course opening")
        REGISTRATION = "registration", _("Course registration")
        CHANGE = "change", _("Course change and cancellation")

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="windows", verbose_name=_("term"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    starts_at = models.DateTimeField(_("opens at"))
    ends_at = models.DateTimeField(_("closes at"), help_text=_("Exclusive: the window is closed from this instant."))

    objects = TermWindowQuerySet.as_manager()

    class Meta:
        verbose_name = _("term window")
        verbose_name_plural = _("term windows")
        ordering = ["term", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["term", "kind"], name="window_one_per_kind"),
            models.CheckConstraint(condition=Q(starts_at__lt=models.F("ends_at")), name="window_opens_before_closing"),
        ]

    def __str__(self) -> str:
        return f"{self.term} · {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        forget_term_windows([self.term_id])

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        forget_term_windows([self.term_id])
        return result

    def is_open(self, at: datetime | None = None) -> bool:
        return dates.is_open(self.starts_at, self.ends_at, at)

    def describe(self) -> str:
        start, end = dates.when(self.starts_at), dates.when(self.ends_at)
        return f"{start} – {end}"
