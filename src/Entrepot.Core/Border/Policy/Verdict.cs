namespace Entrepot.Core.Border.Policy;

/// <summary>The outcome for one candidate seller.</summary>
public enum Verdict
{
    Allow,
    Redact,
    Deny,
}

public static class Verdicts
{
    public static string Name(this Verdict v) => v switch
    {
        Verdict.Allow => "allow",
        Verdict.Redact => "redact",
        _ => "deny",
    };
}
