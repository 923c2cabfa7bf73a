"""Interactive widgets for the lesson: a training compute-and-cost calculator.

The calculator applies the rules the lesson teaches, on numbers the student picks with
sliders: training compute ``C ≈ 6·N·D`` FLOPs (Kaplan et al. 2020, "Scaling Laws for Neural
Language Models"), the compute-optimal ~20 tokens per parameter (Hoffmann et al. 2022,
"Training Compute-Optimal Large Language Models"), then accelerator-hours at a sustained
FLOP/s and a bill at an hourly price. It does not stand in for the student's exercise: the
exercise asks for the same four functions, and the calculator is where they get played with.

Example:
    >>> summary = describe_run(n_params=7e9, n_tokens=2e12, flops_per_s=1.27e14, price=2.0)
    >>> summary.splitlines()[0]
    'Training compute: 8.40e+22 FLOPs (6 x 7.00e+09 parameters x 2.00e+12 tokens)'
"""
from __future__ import annotations

import html

SECONDS_PER_HOUR = 3600.0
TOKENS_PER_PARAM = 20.0


def describe_run(n_params: float, n_tokens: float, flops_per_s: float, price: float,
                 n_gpus: int = 1) -> str:
    """A few lines describing one training run's compute, time and cost."""
    flops = 6.0 * n_params * n_tokens
    hours = flops / flops_per_s / SECONDS_PER_HOUR
    optimal = TOKENS_PER_PARAM * n_params
    lines = [
        f"Training compute: {flops:.2e} FLOPs (6 x {n_params:.2e} parameters x {n_tokens:.2e} tokens)",
        f"Accelerator-hours: {hours:,.0f} at {flops_per_s:.2e} FLOP/s sustained"
        f" = {hours / n_gpus / 24:,.1f} days on {n_gpus:,} accelerators",
        f"Cost: ${hours * price:,.0f} at ${price:.2f} per accelerator-hour",
        f"Compute-optimal data for this size: {optimal:.2e} tokens "
        f"(you chose {n_tokens / optimal:.2g}x that)",
    ]
    return "\n".join(lines)


def cost_calculator(n_params: float = 1.35e8, n_tokens: float = 2e12,
                    flops_per_s: float = 1.27e14, price: float = 2.0, n_gpus: int = 64):
    """Sliders for N, D, sustained FLOP/s, price and accelerator count, and the live result.

    Defaults describe SmolLM2-135M's pretraining budget scale on A100-class hardware; move a
    slider and the text underneath is recomputed.
    """
    import ipywidgets as w

    style = {"description_width": "150px"}
    layout = w.Layout(width="640px")
    # A fine log step (0.001) so the sliders start on the given values, not on a nearby notch;
    # ".3s" reads 1.35e8 as "135M" and 2e12 as "2.00T".
    params = w.FloatLogSlider(value=n_params, base=10, min=5, max=12.5, step=0.001,
                              description="parameters", style=style, layout=layout,
                              readout_format=".3s")
    tokens = w.FloatLogSlider(value=n_tokens, base=10, min=8, max=13.5, step=0.001,
                              description="training tokens", style=style, layout=layout,
                              readout_format=".3s")
    rate = w.FloatLogSlider(value=flops_per_s, base=10, min=12, max=15.5, step=0.001,
                            description="sustained FLOP/s", style=style, layout=layout,
                            readout_format=".3s")
    cost = w.FloatSlider(value=price, min=0.25, max=10.0, step=0.25,
                         description="$ per accel.-hour", style=style, layout=layout)
    gpus = w.IntSlider(value=n_gpus, min=1, max=16384, description="accelerators",
                       style=style, layout=layout)
    out = w.HTML(layout=w.Layout(border="1px solid #ddd", padding="4px", width="640px"))

    def redraw(_=None):
        text = describe_run(params.value, tokens.value, rate.value, cost.value, gpus.value)
        # Lines wrap only between words: a number is never split across two lines.
        out.value = ("<pre style='margin:0; white-space:pre-wrap; word-break:normal; "
                     f"overflow-wrap:normal'>{html.escape(text)}</pre>")

    for slider in (params, tokens, rate, cost, gpus):
        slider.observe(redraw, names="value")
    redraw()
    return w.VBox([params, tokens, rate, cost, gpus, out])
