# Right: exclude what cannot be passed by name (positional-only, *args, **kwargs itself).
from inspect import Parameter, signature


def invented_keywords(func, keywords):
    params = list(signature(func).parameters.values())
    if Parameter.VAR_KEYWORD in [p.kind for p in params]:
        return []
    by_name = {p.name for p in params if p.kind not in (Parameter.POSITIONAL_ONLY, Parameter.VAR_POSITIONAL)}
    return [k for k in keywords if k not in by_name]
