return BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Berth.Bench.Micro.DockerfileParseBenchmarks).Assembly).Run(args).Any() ? 0 : 1;
