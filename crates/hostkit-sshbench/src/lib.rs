//! OpenSSH algorithm benchmarking: algorithms, KEXINIT, plan, analysis (pure) and `sys/` runners.
