"""How many Hypothesis examples a stateful fuzz run needs to spend its step budget.

Hypothesis (6.x) starts generating with "small" examples: for its first
clamp(10, max_examples // 10, 50) valid examples it extends a novel prefix with zero bytes,
and for a state machine a zero byte means "stop after this step". Those examples run one
rule (or only the initialize rules), so with max_examples = budget // steps_per_example
(4 for CI's 200-step budget) every example was one of them and the fuzz never ran a
sequence. `examples_for` adds those small examples on top of the full-length ones.
"""

from hypothesis import HealthCheck

SMALL_EXAMPLES_MIN, SMALL_EXAMPLES_MAX = 10, 50  # Hypothesis's clamp for its small examples
# Hypothesis tries each small example's continuations on a buffer of ten times its length,
# which a state machine's steps soon overrun; its data_too_large health check counts those
# overruns and failed short runs at random ("20 examples overran while generating 9 valid").
SUPPRESSED_HEALTH_CHECKS = [HealthCheck.data_too_large]


def small_examples(max_examples: int) -> int:
    """How many of `max_examples` Hypothesis spends on zero-extended (one-step) examples."""
    return min(max(SMALL_EXAMPLES_MIN, max_examples // 10), SMALL_EXAMPLES_MAX)


def examples_for(step_budget: int, steps_per_example: int) -> int:
    """`max_examples` that leaves room for about step_budget / steps_per_example
    full-length examples after Hypothesis's small ones."""
    full_length = max(1, -(-step_budget // steps_per_example))
    examples = full_length + SMALL_EXAMPLES_MIN
    while examples - small_examples(examples) < full_length:
        examples += 1
    return examples
