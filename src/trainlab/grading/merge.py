"""Bring one finished submission into the course: grades, autograded notebook, feedback.

Only the parent process of a round writes to the real gradebook, one submission at a
time, whatever order the workers finish in: a single writer cannot lose or double a row,
and it works the same for SQLite and for a server database such as PostgreSQL. A
submission that could not be graded at all gets an explicit 0 on every cell (and no
manual-grading flag), never a missing row.

``record_submission`` does it all for one submission as the round sees it: merges its
grades, copies its autograded notebook and feedback from its private course into the course,
and returns its ``Outcome`` (``report``), the line the round reports.

Example:
    scores = merge_submission(course, "lesson02", "alice", private_db_url, timestamp)
    scores["lesson02", "test_loss"]   # (auto_score, max_score)
"""
import os
import shutil
import warnings

from nbgrader.api import Gradebook
from nbgrader.plugins import CsvExportPlugin
from sqlalchemy.exc import SAWarning

from .report import describe_outcome


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


def publish_outputs(course, template, private):
    """Copy the private autograded notebook and feedback into the course."""
    for kind in ("autograded", "feedback"):
        src = os.path.join(private.folder, "course", kind, private.student, template.assignment)
        dest = os.path.join(course.root, getattr(course, kind), private.student,
                            template.assignment)
        if os.path.isdir(dest):
            shutil.rmtree(dest)
        if os.path.isdir(src):
            shutil.copytree(src, dest)


def record_submission(course, template, student, private, result, limits):
    """Merge one finished submission into the gradebook and describe it."""
    db = os.path.join(private.folder, "course", "gradebook.db")
    graded = not private.fatal and result.autograde_ok
    submission_dir = os.path.join(course.root, course.submitted, student, template.assignment)
    scores = merge_submission(course, template.assignment, student,
                              "sqlite:///" + db if graded else None,
                              read_timestamp(submission_dir))
    publish_outputs(course, template, private)
    return describe_outcome(private, result, scores, template, limits)


def export_grades(course, csv_path):
    """Export every student's grades with nbgrader's CSV exporter."""
    plugin = CsvExportPlugin()
    plugin.to = csv_path
    with Gradebook(course.db_url, course.course_id) as gb:
        plugin.export(gb)
    return csv_path
