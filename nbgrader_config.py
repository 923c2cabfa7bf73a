"""nbgrader settings for the course: directories, gradebook, time limits, feedback.

Run nbgrader from this folder (``./course`` does): every path below is relative to it.
``COURSE_DB_URL`` points the gradebook at another database, e.g. PostgreSQL for a course
with several graders; the default is a SQLite file beside this config.
"""
import os

from trainlab.grading.feedback import FEEDBACK_PREPROCESSORS

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

root = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "how-models-are-trained"
c.CourseDirectory.root = root
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = os.environ.get(
    "COURSE_DB_URL", "sqlite:///" + os.path.join(root, "gradebook.db")
)

# A student's cell that loops forever is interrupted after this many seconds; the
# remaining cells still run. The heavy demos read shipped checkpoints under
# NBGRADER_EXECUTION, so no honest cell comes near it. (nbgrader always goes on after an error:
# its Execute.allow_errors is fixed at True, not a setting.)
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True

# What an answer cell holds until the student writes the answer. Inside a function the stub is
# the function's body, so defining it still works and calling it raises; the exercise's test
# cells then say, in words, that it is not answered yet (trainlab.lesson.expectations.require).
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE: replace these two lines with your answer.\n"
              'raise NotImplementedError("not answered yet: write your answer in place of this line")'
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE: replace this line with your answer (it is graded by hand)."

# Feedback must not show the hidden tests (nbgrader issue #917): their code is cleared, and
# the tracebacks that would quote it are cut to the exception's message. The same list is
# what `./course grade` runs.
c.GenerateFeedback.preprocessors = list(FEEDBACK_PREPROCESSORS)

# The assignment list (a student part of nbgrader) needs a writable exchange; one inside the
# project avoids "exchange directory not writable" errors on laptops and on Binder.
c.Exchange.root = os.environ.get("COURSE_EXCHANGE", os.path.join(root, ".exchange"))
