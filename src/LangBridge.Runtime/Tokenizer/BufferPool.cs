using System.Collections.Concurrent;

namespace LangBridge.Runtime;

/// <summary>
/// Reuses per-batch-size buffer sets (pinned arrays with OrtValues over them) across calls, so a
/// steady stream of same-sized batches allocates nothing after warm-up. Concurrent callers each
/// rent their own set; a set is never shared between two running calls.
/// </summary>
internal sealed class BufferPool<T> : IDisposable
    where T : class, IDisposable
{
    private const int MaxBatchSizes = 16;
    private readonly Func<int, T> _factory;
    private readonly int _maxPerSize;
    private readonly ConcurrentDictionary<int, ConcurrentBag<T>> _bags = new();

    public BufferPool(Func<int, T> factory, int maxPerSize)
    {
        _factory = factory;
        _maxPerSize = maxPerSize;
    }

    public T Rent(int batchSize) =>
        _bags.TryGetValue(batchSize, out var bag) && bag.TryTake(out var item) ? item : _factory(batchSize);

    public void Return(int batchSize, T item)
    {
        // Bounded: a caller cycling through many batch sizes must not grow memory without limit.
        if (!_bags.TryGetValue(batchSize, out var bag))
        {
            if (_bags.Count >= MaxBatchSizes)
            {
                item.Dispose();
                return;
            }

            bag = _bags.GetOrAdd(batchSize, _ => new ConcurrentBag<T>());
        }

        if (bag.Count < _maxPerSize)
        {
            bag.Add(item);
        }
        else
        {
            item.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var bag in _bags.Values)
        {
            while (bag.TryTake(out var item))
            {
                item.Dispose();
            }
        }

        _bags.Clear();
    }
}
