"""Reference implementations (issue 14): the work embedrating does, written as a competent analyst
would write it with numpy and pandas — vectorised over operators, no Python loop over operators or
events, single-threaded BLAS (bench/run.py sets OPENBLAS_NUM_THREADS=1 before numpy is imported).

    rating      default-model (any model file) rating of N operators from an operator-level frame
    reviews     review aggregation, numpy and pandas, without and with dedup and decay
    montecarlo  Monte Carlo weight stability (numpy GEMM per chunk of operators)

tests/python/test_bench_reference.py shows that they give the same results as embedrating, so the
benchmarks in bench/run.py compare the same work.
"""
