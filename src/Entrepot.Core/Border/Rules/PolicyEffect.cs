namespace Entrepot.Core.Border.Rules;

/// <summary>What a rule does to a trade it matches.</summary>
public enum PolicyEffect
{
    Allow,
    Redact,
    Deny,
    RequireAttestation,
    RequireContract,
}

public static class PolicyEffects
{
    public static string Name(this PolicyEffect e) => e switch
    {
        PolicyEffect.Allow => "allow",
        PolicyEffect.Redact => "redact",
        PolicyEffect.Deny => "deny",
        PolicyEffect.RequireAttestation => "require_attestation",
        PolicyEffect.RequireContract => "require_contract",
        _ => throw new ArgumentOutOfRangeException(nameof(e)),
    };

    public static bool TryParse(string? s, out PolicyEffect e)
    {
        foreach (var x in Enum.GetValues<PolicyEffect>())
        {
            if (string.Equals(x.Name(), s, StringComparison.Ordinal))
            {
                e = x;
                return true;
            }
        }

        e = default;
        return false;
    }
}
