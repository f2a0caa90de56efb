using System.Security.Cryptography;

namespace Entrepot.Exporter.Models;

/// <summary>
/// Finds the GGUF model for the embedded engine, in this order: the configured path, the
/// ENTREPOT_MODEL environment variable, <c>shared/models/stories260K.gguf</c> beside any folder
/// above the working or program directory, a copy downloaded earlier into the data directory,
/// a one-time download from the model's public source with its SHA-256 checked, and finally
/// (offline) a tiny random-weight GGUF written by <see cref="RandomGguf"/>, labelled as such.
/// </summary>
public static class ModelLocator
{
    public const string FileName = "stories260K.gguf";
    public const string Sha256 = "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d";

    /// <summary>Public source: the conversion llama.cpp's own tests use (llama2.c tinyllamas, MIT licence).</summary>
    public static readonly Uri DownloadUrl = new("https://huggingface.co/ggml-org/models/resolve/main/tinyllamas/stories260K.gguf");

    public static async Task<ModelFile> ResolveAsync(string? configuredPath, string dataDir, Action<string> log, CancellationToken ct = default)
    {
        if (!string.IsNullOrWhiteSpace(configuredPath))
        {
            return File.Exists(configuredPath)
                ? new ModelFile(Path.GetFullPath(configuredPath), ModelOrigin.Configured)
                : throw new FileNotFoundException($"Model file not found: {configuredPath}", configuredPath);
        }

        if (Environment.GetEnvironmentVariable("ENTREPOT_MODEL") is { Length: > 0 } fromEnv)
        {
            return File.Exists(fromEnv)
                ? new ModelFile(Path.GetFullPath(fromEnv), ModelOrigin.Environment)
                : throw new FileNotFoundException($"ENTREPOT_MODEL names a file that does not exist: {fromEnv}", fromEnv);
        }

        if (FindShared() is { } shared)
        {
            return new ModelFile(shared, ModelOrigin.Shared);
        }

        var modelsDir = Path.Combine(dataDir, "models");
        var cached = Path.Combine(modelsDir, FileName);
        if (File.Exists(cached) && await HasExpectedHashAsync(cached, ct).ConfigureAwait(false))
        {
            return new ModelFile(cached, ModelOrigin.Downloaded);
        }

        if (Environment.GetEnvironmentVariable("ENTREPOT_OFFLINE") != "1")
        {
            log($"Downloading {FileName} once from {DownloadUrl} ...");
            try
            {
                await DownloadAsync(cached, ct).ConfigureAwait(false);
                return new ModelFile(cached, ModelOrigin.Downloaded);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or InvalidDataException)
            {
                log($"Download failed ({e.Message}); using a random-weight placeholder model instead.");
            }
        }

        return new ModelFile(await PlaceholderAsync(modelsDir, ct).ConfigureAwait(false), ModelOrigin.RandomWeights);
    }

    /// <summary>The random-weight placeholder's path in <paramref name="modelsDir"/>, written there unless
    /// this release's is already. One an older release wrote is replaced (by rename: a node still
    /// running keeps the file it loaded), so a data directory kept across upgrades serves today's.</summary>
    internal static async Task<string> PlaceholderAsync(string modelsDir, CancellationToken ct)
    {
        var random = Path.Combine(modelsDir, RandomGguf.FileName);
        var placeholder = RandomGguf.Bytes();
        if (!File.Exists(random) || !File.ReadAllBytes(random).AsSpan().SequenceEqual(placeholder))
        {
            Directory.CreateDirectory(modelsDir);
            var written = $"{random}.{Environment.ProcessId}.tmp";
            await File.WriteAllBytesAsync(written, placeholder, ct).ConfigureAwait(false);
            File.Move(written, random, overwrite: true);
        }

        return random;
    }

    internal static string? FindShared()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "models", FileName);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    private static async Task DownloadAsync(string target, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var bytes = await http.GetByteArrayAsync(DownloadUrl, ct).ConfigureAwait(false);
        if (!Convert.ToHexStringLower(SHA256.HashData(bytes)).Equals(Sha256, StringComparison.Ordinal))
        {
            throw new InvalidDataException("The downloaded model's SHA-256 does not match; it was discarded.");
        }

        var temp = target + ".part";
        await File.WriteAllBytesAsync(temp, bytes, ct).ConfigureAwait(false);
        File.Move(temp, target, overwrite: true);
    }

    private static async Task<bool> HasExpectedHashAsync(string path, CancellationToken ct)
    {
        await using var f = File.OpenRead(path);
        var hash = await SHA256.HashDataAsync(f, ct).ConfigureAwait(false);
        return Convert.ToHexStringLower(hash) == Sha256;
    }
}
