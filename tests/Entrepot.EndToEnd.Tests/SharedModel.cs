namespace Entrepot.EndToEnd.Tests;

/// <summary>Where the tests find the real model: ../shared/models beside the repository.</summary>
internal static class SharedModel
{
    public static string Path
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = System.IO.Path.Combine(dir.FullName, "shared", "models", "stories260K.gguf");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new FileNotFoundException("stories260K.gguf not found in any shared/models above the test directory.");
        }
    }

    public static string TempDir(string name)
    {
        var dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "entrepot-tests", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
