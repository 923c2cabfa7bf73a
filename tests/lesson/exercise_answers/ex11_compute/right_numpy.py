# Right: NumPy floats throughout (works on arrays of model sizes too).
import numpy as np


def training_flops(n_params, n_tokens):
    return np.multiply(6.0, np.multiply(n_params, n_tokens, dtype=np.float64))


def compute_optimal_tokens(n_params):
    return np.float64(n_params) * 20


def gpu_hours(flops, flops_per_second):
    return np.divide(flops, flops_per_second) / 3600.0


def training_cost(flops, flops_per_second, dollars_per_gpu_hour):
    return np.float64(gpu_hours(flops, flops_per_second)) * dollars_per_gpu_hour
