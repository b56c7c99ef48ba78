from sqlalchemy import func, select

from mutuo_sample.models import Note


def count_notes(request):
    count = request.dbsession.scalar(select(func.count(Note.id)))
    return f"{count} notes"
