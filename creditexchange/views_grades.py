"""The student's own grades, term by term (issue 15): the one reading ``transcript_lines`` per term."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from academics.models import Term

from .models import CourseRegistration, TermGrades
from .selectors_grades import transcripts_by_term


@login_required
def my_grades(request):
    """Newest term first; only the logged-in student's registrations (nothing here takes an id)."""
    term_ids = CourseRegistration.objects.filter(
        student=request.user, status=CourseRegistration.Status.REGISTERED
    ).values_list("term_id", flat=True)
    terms = list(Term.objects.filter(pk__in=term_ids))  # Term's ordering: newest first, in academic order
    final = set(TermGrades.objects.filter(term__in=terms, status=TermGrades.Status.FINAL).values_list("term_id", flat=True))
    summaries = transcripts_by_term(student=request.user, terms=terms)  # a fixed number of queries (no N+1)
    sections = []
    for term in terms:
        summary = summaries[term.pk]
        sections.append({
            "term": term, "summary": summary, "final": term.pk in final,
            "lines": [(line, line.title(request.LANGUAGE_CODE)) for line in summary.lines],
            "any_grade": any(line.graded for line in summary.lines),
        })
    return render(request, "creditexchange/grades.html", {"sections": sections})
