using LLama.Native;

namespace Entrepot.Exporter.Engines;

/// <summary>Configures llama.cpp's native library once: CPU only, and its log kept out of the console.
/// A caller arriving while another configures waits for it to finish: loading a model before the
/// configuration is complete would load the library first, and the configuration would then throw.</summary>
internal static class NativeRuntime
{
    private static readonly Lazy<bool> Configured = new(ConfigureOnce, LazyThreadSafetyMode.ExecutionAndPublication);

    public static void Configure() => _ = Configured.Value;

    private static bool ConfigureOnce()
    {
        NativeLibraryConfig.All.WithCuda(false).WithVulkan(false).WithAutoFallback(true);
        NativeLibraryConfig.All.WithLogCallback((level, message) =>
        {
            if (level == LLamaLogLevel.Error)
            {
                Console.Error.Write("[llama.cpp] " + message);
            }
        });
        return true;
    }
}
