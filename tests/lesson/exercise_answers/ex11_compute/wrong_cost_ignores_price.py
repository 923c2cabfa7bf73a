# Wrong: the cost ignores the price argument and assumes $2 an hour.
# Message: times the price per hour
def training_flops(n_params, n_tokens):
    return 6 * n_params * n_tokens


def compute_optimal_tokens(n_params):
    return 20 * n_params


def gpu_hours(flops, flops_per_second):
    return flops / flops_per_second / 3600


def training_cost(flops, flops_per_second, dollars_per_gpu_hour):
    return gpu_hours(flops, flops_per_second) * 2.0
