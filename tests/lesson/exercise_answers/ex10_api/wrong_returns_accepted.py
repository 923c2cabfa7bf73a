# Wrong: returns the accepted names instead of the invented ones.
# Message: accepts sep and header but not fast_mode
import inspect


def invented_keywords(func, keywords):
    params = inspect.signature(func).parameters.values()
    accepted = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return [k for k in keywords if k in accepted]
