"""The compute-and-cost calculator recomputes when a slider moves."""

from trainlab.lesson.widgets import cost_calculator, describe_run


def test_describe_run_applies_6nd_and_hours():
    text = describe_run(n_params=7e9, n_tokens=2e12, flops_per_s=1.27e14, price=2.0)
    assert "8.40e+22 FLOPs" in text
    hours = 8.4e22 / 1.27e14 / 3600
    assert f"{hours:,.0f}" in text and f"${hours * 2:,.0f}" in text


def test_sliders_update_the_output():
    box = cost_calculator()
    params, out = box.children[0], box.children[-1]

    def shown():
        return out.value.removeprefix("<pre style='margin:0'>")

    before = shown()
    assert before.startswith("Training compute:")
    params.value = params.value * 10
    after = shown()
    assert after.startswith("Training compute:") and after != before
