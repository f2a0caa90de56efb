namespace Entrepot.Cli;

/// <summary>What every command's exit status means (docs/OPERATIONS.md, "Command-line exit codes").</summary>
internal static class ExitCodes
{
    /// <summary>Done, and the answer is yes (allowed, valid, found).</summary>
    public const int Ok = 0;

    /// <summary>Done, and the answer is no: a ledger or receipt that does not verify, lint errors, an unreachable pair.</summary>
    public const int No = 1;

    /// <summary>Could not be done as asked: a bad argument, a missing or unreadable file, a bad configuration, a
    /// port in use, an unreachable URL (sysexits' EX_USAGE; apart from every verdict code, such as
    /// <c>policy check</c>'s 2 for deny).</summary>
    public const int CannotRun = 64;
}
