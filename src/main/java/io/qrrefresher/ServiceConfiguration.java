package io.qrrefresher;

import io.qrrefresher.cluster.Replica;
import io.qrrefresher.common.RouteContract;
import io.qrrefresher.config.Settings;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.support.LifecycleStrategySupport;

/**
 * The first configuration: the settings, read once from application.properties and the environment and checked (a bad
 * value stops the start with one line naming its key), this process's identity among replicas, and the check of the
 * loaded routes against {@link RouteContract} before any of them starts.
 */
public final class ServiceConfiguration implements CamelConfiguration {

    @BindToRegistry("settings")
    public Settings settings(CamelContext context) {
        PropertiesComponent properties = context.getPropertiesComponent();
        return Settings.load(key -> properties.resolveProperty(key).orElse(null));
    }

    @BindToRegistry("replica")
    public Replica replica() {
        return Replica.ofThisProcess();
    }

    @Override
    public void configure(CamelContext context) {
        context.addLifecycleStrategy(new LifecycleStrategySupport() {
            @Override
            public void onContextInitializing(CamelContext initializing) {
                RouteContract.check(initializing);
            }
        });
    }
}
