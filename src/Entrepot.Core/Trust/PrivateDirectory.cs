namespace Entrepot.Core.Trust;

/// <summary>
/// Directories and files that hold keys, trades and the ledger: readable by their owner only (0700
/// and 0600 on Unix), whatever the process's umask; existing ones are tightened at start.
/// </summary>
public static class PrivateDirectory
{
    private const UnixFileMode Owner = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates <paramref name="path"/> (and its parents as usual) owner-only, or makes an existing one so.</summary>
    public static string Ensure(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return path;
        }

        if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(path, Owner);
        }

        Restrict(path, Owner);
        return path;
    }

    /// <summary>Creates an empty file owner-only if it does not exist, and makes it (and SQLite's -wal and -shm beside it) owner-only.</summary>
    public static void EnsureFile(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        if (!File.Exists(path))
        {
            try
            {
                using var _ = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerFile });
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first.
            }
        }

        foreach (var f in new[] { path, path + "-wal", path + "-shm", path + "-journal" })
        {
            if (File.Exists(f))
            {
                Restrict(f, OwnerFile);
            }
        }
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void Restrict(string path, UnixFileMode mode)
    {
        try
        {
            if (File.GetUnixFileMode(path) != mode)
            {
                File.SetUnixFileMode(path, mode);
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            // Not ours to change (a shared mount): the operator's permissions stand.
        }
    }
}
