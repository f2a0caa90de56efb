using System.Collections.Immutable;

namespace Entrepot.Core.Network;

/// <summary>
/// The cables currently out of service. Readers take <see cref="Cut"/> (an immutable set) without
/// locking; a change replaces the set and raises <see cref="Changed"/> so routes are rebuilt at once.
/// </summary>
public sealed class CableFaults
{
    private readonly Lock _gate = new();
    private ImmutableSortedSet<string> _cut = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    public IReadOnlySet<string> Cut => Volatile.Read(ref _cut);

    /// <summary>Raised after every change, outside the lock.</summary>
    public event Action? Changed;

    /// <returns>False when the cable was already cut.</returns>
    public bool CutCable(string cableId) => Update(s => s.Add(cableId));

    /// <returns>False when the cable was not cut.</returns>
    public bool Restore(string cableId) => Update(s => s.Remove(cableId));

    /// <summary>Replaces the whole set (loading from the store).</summary>
    public void Reset(IEnumerable<string> cut) => Update(_ => ImmutableSortedSet.CreateRange(StringComparer.Ordinal, cut));

    private bool Update(Func<ImmutableSortedSet<string>, ImmutableSortedSet<string>> change)
    {
        bool changed;
        lock (_gate)
        {
            var next = change(_cut);
            changed = !next.SetEquals(_cut);
            Volatile.Write(ref _cut, next);
        }

        if (changed)
        {
            Changed?.Invoke();
        }

        return changed;
    }
}
