namespace Entrepot.Core.Trust;

/// <summary>Key material on disk: written once, readable by the owner only.</summary>
public static class SecretFile
{
    public static void Create(string path, ReadOnlySpan<byte> bytes)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var f = new FileStream(path, options);
        f.Write(bytes);
    }
}
