"""The pipeline figure draws one box per stage, in the lesson's order."""
import matplotlib

matplotlib.use("Agg")

from trainlab.lesson.pipeline_figure import STAGES, plot_pipeline


def test_four_stages_in_order():
    assert [s[0].split(". ")[1] for s in STAGES] == [
        "Pretraining", "Training data", "Instruction tuning", "Preference tuning"]
    ax = plot_pipeline()
    assert len(ax.patches) == 4 + 3  # boxes and arrows
