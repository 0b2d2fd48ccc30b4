// TorchSharp's RNG (manual_seed) and thread settings are process-wide: tests that seed and train must
// not interleave, or "same seed, same weights" stops being true.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
