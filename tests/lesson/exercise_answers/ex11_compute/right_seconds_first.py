# Right: seconds first, then hours; cost written out in full.
def training_flops(n_params, n_tokens):
    return 6 * n_params * n_tokens


def compute_optimal_tokens(n_params):
    return n_params * 20


def gpu_hours(flops, flops_per_second):
    seconds = flops / flops_per_second
    return seconds / 60 / 60


def training_cost(flops, flops_per_second, dollars_per_gpu_hour):
    return flops / flops_per_second / 3600 * dollars_per_gpu_hour
