from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Campus, College, Department, Institution, InstitutionContact, Term, TermWindow


class InstitutionContactInline(admin.TabularInline):
    model = InstitutionContact
    extra = 1


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["code", "name_ko", "name_en", "kind", "agreement_active", "verification_basis", "mail_language"]
    list_filter = ["kind", "agreement_active", "verification_basis", "mail_language"]
    search_fields = ["code", "name_ko", "name_en", "contacts__email"]
    list_editable = ["agreement_active"]
    inlines = [InstitutionContactInline]
    actions = ["activate_agreement", "deactivate_agreement"]

    @admin.action(description=_("Mark agreement active"), permissions=["change"])
    def activate_agreement(self, request, queryset):
        queryset.filter(kind=Institution.Kind.PARTNER).update(agreement_active=True)

    @admin.action(description=_("Mark agreement inactive"), permissions=["change"])
    def deactivate_agreement(self, request, queryset):
        queryset.filter(kind=Institution.Kind.PARTNER).update(agreement_active=False)


@admin.register(InstitutionContact)
class InstitutionContactAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "institution", "is_active"]
    list_filter = ["is_active", "institution"]
    search_fields = ["email", "name", "institution__name_ko", "institution__name_en"]
    list_select_related = ["institution"]
    autocomplete_fields = ["institution"]


@admin.register(Campus)
class CampusAdmin(admin.ModelAdmin):
    list_display = ["code", "name_ko", "name_en", "institution", "is_main"]
    list_filter = ["is_main"]
    search_fields = ["code", "name_ko", "name_en"]
    list_select_related = ["institution"]


@admin.register(College)
class CollegeAdmin(admin.ModelAdmin):
    list_display = ["code", "name_ko", "name_en", "excluded_from_affiliation_change"]
    list_filter = ["excluded_from_affiliation_change"]
    search_fields = ["code", "name_ko", "name_en"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name_ko", "name_en", "college", "campus"]
    list_filter = ["campus", "college"]
    search_fields = ["code", "name_ko", "name_en"]
    list_select_related = ["college", "campus"]
    autocomplete_fields = ["college", "campus"]


class TermWindowInline(admin.TabularInline):
    model = TermWindow
    extra = 0


class TermForm(forms.ModelForm):
    """A change that would break what students already hold (``academics.term_checks``) is refused on the form."""

    def clean(self):
        from .term_checks import term_change_refusals

        cleaned = super().clean()
        if self.instance.pk is not None and not self.errors:
            saved = Term.objects.get(pk=self.instance.pk)
            proposed = Term.objects.get(pk=self.instance.pk)
            for name, value in cleaned.items():
                if hasattr(proposed, name):
                    setattr(proposed, name, value)
            for message in term_change_refusals(saved=saved, proposed=proposed):
                self.add_error(None, message)
        return cleaned


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    form = TermForm
    list_display = ["__str__", "year", "season", "credit_limit", "waitlist_mode"]
    list_filter = ["season", "year"]
    search_fields = ["year"]
    inlines = [TermWindowInline]


@admin.register(TermWindow)
class TermWindowAdmin(admin.ModelAdmin):
    list_display = ["term", "kind", "starts_at", "ends_at"]
    list_filter = ["kind", "term"]
    list_select_related = ["term"]
    search_fields = ["term__year"]
