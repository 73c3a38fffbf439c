"""The student's own grades, term by term (issue 15): the one reading ``transcript_lines`` per term, and the
transcript of records each term's grades were sent in to the home university (the student's own PDF)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from academics.models import Term

from .models import CourseRegistration, TermGrades, Transcript
from .selectors_grades import transcripts_by_term
from .services.transcripts import transcript_code_normalise, transcript_filename


@login_required
def my_grades(request):
    """Newest term first; only the logged-in student's registrations (nothing here takes an id)."""
    term_ids = CourseRegistration.objects.filter(
        student=request.user, status=CourseRegistration.Status.REGISTERED
    ).values_list("term_id", flat=True)
    terms = list(Term.objects.filter(pk__in=term_ids))  # Term's ordering: newest first, in academic order
    final = set(TermGrades.objects.filter(term__in=terms, status=TermGrades.Status.FINAL).values_list("term_id", flat=True))
    summaries = transcripts_by_term(student=request.user, terms=terms)  # a fixed number of queries (no N+1)
    issued: dict[int, Transcript] = {}  # the latest version sent to the home university, per term
    for transcript in Transcript.objects.filter(student=request.user, batch__term__in=terms).select_related(
        "batch__partner"
    ).defer("pdf").order_by("batch__term_id", "-batch__version"):
        issued.setdefault(transcript.batch.term_id, transcript)
    sections = []
    for term in terms:
        summary = summaries[term.pk]
        sections.append({
            "term": term, "summary": summary, "final": term.pk in final,
            "lines": [(line, line.title(request.LANGUAGE_CODE)) for line in summary.lines],
            "any_grade": any(line.graded for line in summary.lines), "transcript": issued.get(term.pk),
        })
    return render(request, "creditexchange/grades.html", {"sections": sections})


@login_required
def my_transcript_pdf(request, code: str):
    """The student's own transcript of records as it was sent (any version): another's code is a 404."""
    code = transcript_code_normalise(code)
    if not code:
        raise Http404  # never a crafted value in a query
    transcript = get_object_or_404(
        Transcript.objects.select_related("batch__partner", "batch__term"), code=code, student=request.user
    )
    response = HttpResponse(bytes(transcript.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{transcript_filename(transcript)}"'
    response["Cache-Control"] = "private, no-store"
    return response
