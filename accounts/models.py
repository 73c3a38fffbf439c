from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _


class PortalUserManager(UserManager):
    """User names are matched case-insensitively: ``t202600001`` signs in as ``T202600001``."""

    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractUser):
    """Portal account. Exchange students log in with their temporary student ID as username.

    ``kind`` says who the account belongs to and so which process may write it: issuance creates
    and re-activates only ``exchange`` accounts, the student-record import creates and updates only
    ``home`` accounts it created itself, and nothing automatic ever touches a ``staff`` account.
    """

    class Language(models.TextChoices):
        KO = "ko", _("Korean")
        EN = "en", _("English")

    class Kind(models.TextChoices):
        STAFF = "staff", _("staff or other")
        EXCHANGE = "exchange", _("exchange student")
        HOME = "home", _("home student")

    kind = models.CharField(_("kind of account"), max_length=10, choices=Kind.choices, default=Kind.STAFF)

    display_name = models.CharField(_("name"), max_length=150, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=30, blank=True)
    language = models.CharField(_("preferred language"), max_length=2, choices=Language.choices, default=Language.KO)
    # Part of every e-mail change link: confirming one voids all links mailed before it, even A → B → A.
    email_changed_at = models.DateTimeField(_("e-mail address changed at"), null=True, blank=True, editable=False)

    objects = PortalUserManager()

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Log-in matches with iexact, which is UPPER() on PostgreSQL: uniqueness folds the same way, so
            # no two names can match one log-in (LOWER would let 'regıstrar' with a dotless i sit next to 'registrar').
            models.UniqueConstraint(Upper("username"), name="user_username_unique_upper"),
        ]

    def __str__(self) -> str:
        return f"{self.username} ({self.display_name})" if self.display_name else self.username


class TemporaryStudentId(models.Model):
    """The person behind an exchange account: one per (partner, home student number), kept across terms.

    Home student numbers compare case-insensitively (issue 10, finding 3): the unique constraint is on
    ``UPPER(home_student_number)`` and issuance matches a returning student with ``__iexact``.
    """

    student_id = models.CharField(_("temporary student ID"), max_length=30, unique=True)
    partner = models.ForeignKey(
        "academics.Institution", on_delete=models.PROTECT, related_name="temporary_ids", verbose_name=_("partner")
    )
    home_student_number = models.CharField(_("home student number"), max_length=30)
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="temporary_id", verbose_name=_("user"))
    first_issued_at = models.DateTimeField(_("first issued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("temporary student ID")
        verbose_name_plural = _("temporary student IDs")
        ordering = ["-first_issued_at"]
        constraints = [
            models.UniqueConstraint(
                "partner", Upper("home_student_number"), name="temporary_id_one_per_person_any_case"
            ),
        ]

    def __str__(self) -> str:
        return self.student_id


class IdSequence(models.Model):
    """Last number handed out per year; locked row, only ever increases, so a number is never reused."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    last_value = models.PositiveIntegerField(_("last value"), default=0)

    class Meta:
        verbose_name = _("ID sequence")
        verbose_name_plural = _("ID sequences")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_value}"
