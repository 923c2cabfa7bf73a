# Wrong: a set difference loses the order of the keywords.
# Message: in the order given
import inspect


def invented_keywords(func, keywords):
    params = inspect.signature(func).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return []
    accepted = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return sorted(set(keywords) - accepted)
