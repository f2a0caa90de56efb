namespace Entrepot.Core.Border.Rules;

/// <summary>A problem in a rule file, located by file, line and field.</summary>
public sealed record RuleLoadError(string File, long Line, string Field, string Message)
{
    public override string ToString() => $"{File}:{Line}: {Field}: {Message}";
}

/// <summary>Rule files that cannot be used; the packs in force stay as they were.</summary>
public sealed class RuleLoadException(IReadOnlyList<RuleLoadError> errors)
    : Exception(string.Join(Environment.NewLine, errors.Select(e => e.ToString())))
{
    public IReadOnlyList<RuleLoadError> Errors { get; } = errors;
}
