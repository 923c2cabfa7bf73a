"""Write one submission's grades into the course's real gradebook.

Only the parent process of a round writes to the real gradebook, one submission at a
time, whatever order the workers finish in: a single writer cannot lose or double a row,
and it works the same for SQLite and for a server database such as PostgreSQL. A
submission that could not be graded at all gets an explicit 0 on every cell (and no
manual-grading flag), never a missing row.

Example:
    scores = merge_submission(course, "lesson02", "alice", private_db_url, timestamp)
    scores["lesson02", "test_loss"]   # (auto_score, max_score)
"""
import os
import warnings

from nbgrader.api import Gradebook
from nbgrader.plugins import CsvExportPlugin
from sqlalchemy.exc import SAWarning


def read_timestamp(submission_dir):
    """Return the submission's timestamp.txt content, or None."""
    path = os.path.join(submission_dir, "timestamp.txt")
    if os.path.exists(path):
        with open(path) as f:
            return f.read().strip() or None
    return None


def private_grades(private_db_url, assignment, student):
    """Read auto scores and comments from a private gradebook."""
    grades, comments, penalties = {}, {}, {}
    with Gradebook(private_db_url) as gb:
        submission = gb.find_submission(assignment, student)
        for nb in submission.notebooks:
            penalties[nb.name] = nb.late_submission_penalty
            for grade in nb.grades:
                grades[nb.name, grade.name] = (grade.auto_score, grade.needs_manual_grade)
            for comment in nb.comments:
                comments[nb.name, comment.name] = comment.auto_comment
    return grades, comments, penalties


def merge_submission(course, assignment, student, private_db_url, timestamp):
    """Copy a graded submission's scores into the real gradebook (``private_db_url``
    None means "record 0"); return {(notebook, cell): (score, max_score)} read back."""
    if private_db_url:
        grades, comments, penalties = private_grades(private_db_url, assignment, student)
    else:
        grades, comments, penalties = {}, {}, {}
    with Gradebook(course.db_url, course.course_id) as gb, warnings.catch_warnings():
        # nbgrader's own add_submission trips SQLAlchemy's autoflush warning; harmless.
        warnings.simplefilter("ignore", SAWarning)
        gb.update_or_create_student(student)
        extra = {"timestamp": timestamp} if timestamp else {}
        submission = gb.update_or_create_submission(assignment, student, **extra)
        for nb in submission.notebooks:
            nb.late_submission_penalty = penalties.get(nb.name)
            for grade in nb.grades:
                auto, manual = grades.get((nb.name, grade.name), (0.0, False))
                grade.auto_score, grade.needs_manual_grade = auto, manual
            for comment in nb.comments:
                comment.auto_comment = comments.get((nb.name, comment.name))
        gb.db.commit()
        return {(nb.name, grade.name): (grade.score, grade.max_score)
                for nb in gb.find_submission(assignment, student).notebooks
                for grade in nb.grades}


def export_grades(course, csv_path):
    """Export every student's grades with nbgrader's CSV exporter."""
    plugin = CsvExportPlugin()
    plugin.to = csv_path
    with Gradebook(course.db_url, course.course_id) as gb:
        plugin.export(gb)
    return csv_path
