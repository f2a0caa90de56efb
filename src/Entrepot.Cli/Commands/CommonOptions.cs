using System.CommandLine;
using System.Runtime.InteropServices;

namespace Entrepot.Cli.Commands;

internal static class CommonOptions
{
    public static Option<int?> Port(string description) => new("--port") { Description = description };

    public static Option<string> DataDir() => new("--data-dir")
    {
        Description = "Directory for the database, keys and downloaded models.",
        DefaultValueFactory = _ => ".entrepot",
    };

    /// <summary>The exchange database under a data dir (or under its exchange/ folder, the demo's
    /// layout); null when there is none. <paramref name="dir"/> is the folder that holds it.</summary>
    public static string? ExchangeDatabase(string dataDir, out string dir)
    {
        dir = dataDir;
        if (!File.Exists(Path.Combine(dir, "exchange.db")) && File.Exists(Path.Combine(dir, "exchange", "exchange.db")))
        {
            dir = Path.Combine(dir, "exchange");
        }

        var path = Path.Combine(dir, "exchange.db");
        return File.Exists(path) ? path : null;
    }

    public static Option<string?> Config(string description) => new("--config") { Description = description };

    /// <summary>
    /// A secret option and its file twin: <c>--NAME VALUE</c> (shown in <c>ps</c> to every user of the
    /// machine, so for trying things out), <c>--NAME-file PATH</c> (the file's first line), or the
    /// environment variable <paramref name="env"/>; the first given wins.
    /// </summary>
    public sealed record SecretOption(Option<string?> Value, Option<FileInfo?> File, string Env)
    {
        public static SecretOption Create(string name, string what, string env) => new(
            new Option<string?>("--" + name) { Description = $"{what} (visible to other users in ps: prefer --{name}-file or ${env})." },
            new Option<FileInfo?>("--" + name + "-file") { Description = $"A file holding {what.ToLowerInvariant()} on its first line." },
            env);

        /// <summary>The secret, or null when none was given; <paramref name="error"/> when the file cannot be read.</summary>
        public string? Read(ParseResult pr, out string? error)
        {
            error = null;
            if (pr.GetValue(Value) is { Length: > 0 } given)
            {
                return given;
            }

            if (pr.GetValue(File) is { } file)
            {
                try
                {
                    var line = System.IO.File.ReadLines(file.FullName).FirstOrDefault()?.Trim();
                    if (string.IsNullOrEmpty(line))
                    {
                        error = $"{file.FullName} is empty: it should hold the secret on its first line.";
                        return null;
                    }

                    return line;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    error = $"cannot read {file.FullName}: {e.Message}";
                    return null;
                }
            }

            return Environment.GetEnvironmentVariable(Env) is { Length: > 0 } fromEnv ? fromEnv : null;
        }
    }

    /// <summary>Why a key given on the command line cannot be used (keys are at least 16 characters), or null.</summary>
    public static string? KeyProblem(string option, string? key) =>
        key is { Length: < 16 } ? $"--{option} must be at least 16 characters (a key anyone could guess is no key)." : null;

    /// <summary>Why a URL given on the command line cannot be used, or null.</summary>
    public static string? UrlProblem(string option, string? url) =>
        url is null || (Uri.TryCreate(url, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps))
            ? null
            : $"--{option}: '{url}' is not an http(s) URL; give one such as http://127.0.0.1:11434/v1.";

    /// <summary>The command cannot run as asked: says why on one line, exits <see cref="ExitCodes.CannotRun"/>.</summary>
    public static int Fail(string message)
    {
        Console.Error.WriteLine($"entrepot: {message}");
        return ExitCodes.CannotRun;
    }
}
