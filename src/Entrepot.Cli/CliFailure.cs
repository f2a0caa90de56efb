using System.Net.Sockets;
using Entrepot.Exchange.Configuration;

namespace Entrepot.Cli;

/// <summary>
/// The last word on a command that failed: one line on stderr saying what is wrong and what to do,
/// and <see cref="ExitCodes.CannotRun"/>; the exception with its stack trace only with --verbose.
/// </summary>
internal static class CliFailure
{
    public static int Report(Exception e, bool verbose, TextWriter error)
    {
        error.WriteLine("entrepot: " + Describe(e));
        if (verbose)
        {
            error.WriteLine(e.ToString());
        }
        else if (!IsExpected(e))
        {
            error.WriteLine("entrepot: run the same command with --verbose for the details.");
        }

        return ExitCodes.CannotRun;
    }

    /// <summary>One line: what went wrong, and what to do about it where that is known.</summary>
    public static string Describe(Exception e)
    {
        e = Unwrap(e);
        return e switch
        {
            ConfigurationException => e.Message,
            IOException when Socket(e) is { SocketErrorCode: SocketError.AddressAlreadyInUse } || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase) =>
                $"{FirstLine(e.Message)} Another program holds that port: stop it, or choose another with --port.",
            HttpRequestException => $"cannot reach the server: {FirstLine(e.Message)} Is it running, and is the URL right?",
            TaskCanceledException => "the server did not answer in time: is it running, and is the URL right?",
            UnauthorizedAccessException => $"permission denied: {FirstLine(e.Message)}",
            FileNotFoundException f => $"{f.FileName ?? FirstLine(e.Message)}: file not found.",
            DirectoryNotFoundException or IOException or InvalidDataException or FormatException or ArgumentException => FirstLine(e.Message),
            _ => $"unexpected error ({e.GetType().Name}): {FirstLine(e.Message)}",
        };
    }

    private static bool IsExpected(Exception e) =>
        Unwrap(e) is ConfigurationException or IOException or HttpRequestException or TaskCanceledException or UnauthorizedAccessException
            or InvalidDataException or FormatException or ArgumentException;

    private static Exception Unwrap(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } or System.Reflection.TargetInvocationException && e.InnerException is { } inner)
        {
            e = inner;
        }

        return e;
    }

    private static SocketException? Socket(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is SocketException s)
            {
                return s;
            }
        }

        return null;
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
