using LLama.Native;

namespace Entrepot.Exporter.Engines;

/// <summary>Configures llama.cpp's native library once: CPU only, and its log kept out of the console.</summary>
internal static class NativeRuntime
{
    private static int _configured;

    public static void Configure()
    {
        if (Interlocked.Exchange(ref _configured, 1) == 1)
        {
            return;
        }

        NativeLibraryConfig.All.WithCuda(false).WithVulkan(false).WithAutoFallback(true);
        NativeLibraryConfig.All.WithLogCallback((level, message) =>
        {
            if (level == LLamaLogLevel.Error)
            {
                Console.Error.Write("[llama.cpp] " + message);
            }
        });
    }
}
