namespace Entrepot.Tests;

/// <summary>Where the tests find the real model: the file ENTREPOT_MODEL names (as the demo reads it),
/// else ../shared/models beside the repository.</summary>
internal static class SharedModel
{
    public const string FileName = "stories260K.gguf";

    public static string Path
    {
        get
        {
            if (Environment.GetEnvironmentVariable("ENTREPOT_MODEL") is { Length: > 0 } named)
            {
                return File.Exists(named) ? named : throw new FileNotFoundException($"ENTREPOT_MODEL names a file that does not exist: {named}", named);
            }

            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = System.IO.Path.Combine(dir.FullName, "shared", "models", FileName);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new FileNotFoundException($"{FileName} not found: set ENTREPOT_MODEL, or put shared/models/{FileName} above the test directory (../shared beside the repository).");
        }
    }

    public static string TempDir(string name)
    {
        var dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "entrepot-tests", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
