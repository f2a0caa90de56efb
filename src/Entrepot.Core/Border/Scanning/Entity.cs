namespace Entrepot.Core.Border.Scanning;

/// <summary>A sensitive value found in a text: UTF-16 offsets, end exclusive.</summary>
public readonly record struct Entity(EntityType Type, int Start, int End)
{
    public int Length => End - Start;
}
