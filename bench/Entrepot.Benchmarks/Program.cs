using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Entrepot.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Entrepot.Benchmarks.RequestPathBenchmarks).Assembly).Run(args);
