// The dashboard page a Flux process serves: the IDE, connected to that process (live.ts).
import { mountDashboard } from './app.js';

mountDashboard(document.getElementById('app')!);
