# Right: look each keyword up in the parameters and check its kind.
import inspect


def invented_keywords(func, keywords):
    params = inspect.signature(func).parameters
    takes_any = any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params.values())
    result = []
    for name in keywords:
        p = params.get(name)
        usable = p is not None and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                              inspect.Parameter.KEYWORD_ONLY)
        if not (usable or takes_any):
            result.append(name)
    return result
