# Wrong: option B.
# Message: best answer|hallucinat
quick_check = "B"
